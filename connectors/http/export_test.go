package http

// Clients returns the number of connected clients.
func (h *SSEHub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}
