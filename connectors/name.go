package connectors

// NameOf returns the display name of a source or sink: Name() for a Named
// value, the Name field of a *ReaderSource or *WriterSink (whose field shadows
// the method), and "" otherwise.
func NameOf(v any) string {
	switch x := v.(type) {
	case Named:
		return x.Name()
	case *ReaderSource:
		return x.Name
	case *WriterSink:
		return x.Name
	}
	return ""
}
