package clock_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/streamctl/streamctl/clock"
)

var start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// run moves v until the test ends.
func run(t *testing.T, v *clock.Virtual, idle func(bool) bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); v.Run(ctx, idle) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestVirtualSleepersWakeInOrder(t *testing.T) {
	v := clock.NewVirtual(start)
	var mu sync.Mutex
	var woke []time.Duration
	var wg sync.WaitGroup
	for _, d := range []time.Duration{3 * time.Hour, time.Second, time.Hour} {
		h := v.Hold()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer h.Done()
			ctx := clock.WithParker(context.Background(), h)
			if err := v.Sleep(ctx, d); err != nil {
				t.Error(err)
			}
			mu.Lock()
			woke = append(woke, v.Now().Sub(start))
			mu.Unlock()
		}()
	}
	run(t, v, nil)
	wg.Wait()
	want := []time.Duration{time.Second, time.Hour, 3 * time.Hour}
	if len(woke) != 3 || woke[0] != want[0] || woke[1] != want[1] || woke[2] != want[2] {
		t.Errorf("woke at %v, want %v", woke, want)
	}
}

func TestVirtualWaitsForBusyWork(t *testing.T) {
	v := clock.NewVirtual(start)
	h := v.Hold() // busy: the clock must not move
	slept := make(chan struct{})
	go func() {
		_ = v.Sleep(context.Background(), time.Minute)
		close(slept)
	}()
	run(t, v, nil)
	// The sleeper is registered before the clock could move; give Run every
	// chance to (wrongly) move it while h is held.
	deadline := time.Now().Add(5 * time.Second)
	for v.Busy() != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-slept:
		t.Fatal("the clock moved while work was busy")
	default:
	}
	if got := v.Now(); !got.Equal(start) {
		t.Fatalf("now = %v, want %v", got, start)
	}
	h.Done()
	<-slept
	if got := v.Now().Sub(start); got != time.Minute {
		t.Errorf("now = start + %v, want 1m", got)
	}
}

func TestVirtualIdleWhenStuck(t *testing.T) {
	v := clock.NewVirtual(start)
	stuck := make(chan bool, 1)
	run(t, v, func(s bool) bool {
		if s {
			select {
			case stuck <- s:
			default:
			}
		}
		return false
	})
	if !<-stuck {
		t.Fatal("idle not called stuck")
	}
}

func TestEventUnparksBeforeWaking(t *testing.T) {
	v := clock.NewVirtual(start)
	h := v.Hold()
	ev := clock.NewEvent()
	done := make(chan int)
	go func() {
		_ = ev.Wait(clock.WithParker(context.Background(), h))
		done <- v.Busy() // the waiter holds its unit again when it wakes
		h.Done()
	}()
	for v.Busy() != 0 {
		time.Sleep(time.Millisecond)
	}
	ev.Fire()
	if busy := <-done; busy != 1 {
		t.Errorf("busy = %d after the wake-up, want 1", busy)
	}
}

func TestVirtualSleepCancelled(t *testing.T) {
	v := clock.NewVirtual(start)
	h := v.Hold()
	ctx, cancel := context.WithCancel(clock.WithParker(context.Background(), h))
	errc := make(chan error)
	go func() { errc <- v.Sleep(ctx, time.Hour) }()
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Errorf("err = %v", err)
	}
	if b := v.Busy(); b != 1 {
		t.Errorf("busy = %d after a cancelled sleep, want 1 (the hold)", b)
	}
}

func TestRealSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := clock.Real.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("err = %v", err)
	}
	if err := clock.Real.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Error(err)
	}
}
