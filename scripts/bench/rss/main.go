// Command rss streams N generated access-log lines (generated on the fly,
// no file) through a command's stdin, reads and counts its output, and
// samples the child's resident set size (VmRSS in /proc/PID/status) every
// 50 ms. It prints the RSS after each tenth of the input and a summary:
//
//	go run ./scripts/bench/rss -n 10000000 -- streamctl pipe -i json 'status >= 500'
//
// "flat" compares the RSS samples taken after the warm-up (-warmup, the
// first quarter of the input by default: the heap needs a few collections
// to settle at its goal, 16 MB for `streamctl pipe`): growth is the last
// sample minus the first of those, and the check fails when the peak
// reaches -max MB or any sample exceeds the first by more than -slack MB.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/streamctl/streamctl/scripts/bench/internal/accesslog"
)

func main() {
	n := flag.Int("n", 10_000_000, "lines to stream")
	maxMB := flag.Float64("max", 100, "fail when the peak RSS reaches this many MB")
	slack := flag.Float64("slack", 8, "fail when RSS grows by more than this many MB after warm-up")
	warmup := flag.Float64("warmup", 0.25, "fraction of the input before RSS must stay flat")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: rss [-n N] [-max MB] [-slack MB] -- CMD [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	check(err)
	stdout, err := cmd.StdoutPipe()
	check(err)
	check(cmd.Start())

	var written atomic.Int64 // bytes written to the child
	genDone := make(chan error, 1)
	go func() {
		err := accesslog.Write(&countWriter{w: stdin, n: &written}, *n)
		stdin.Close()
		genDone <- err
	}()
	outLines := make(chan int64, 1)
	go func() {
		var lines int64
		buf := make([]byte, 1<<20)
		for {
			k, err := stdout.Read(buf)
			lines += int64(bytes.Count(buf[:k], []byte{'\n'}))
			if err != nil {
				break
			}
		}
		outLines <- lines
	}()

	// Progress is measured in bytes written to the child, against the
	// total once it is known.
	type sample struct {
		bytes int64
		rss   float64
	}
	var samples []sample
	t0 := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	exited := make(chan error, 1)
	go func() {
		lines := <-outLines
		err := cmd.Wait()
		fmt.Printf("output lines: %d\n", lines)
		exited <- err
	}()
	var werr error
loop:
	for {
		select {
		case <-tick.C:
			if rss, ok := vmRSS(cmd.Process.Pid); ok {
				samples = append(samples, sample{written.Load(), rss})
			}
		case werr = <-exited:
			break loop
		}
	}
	elapsed := time.Since(t0)
	if gerr := <-genDone; gerr != nil && werr == nil {
		werr = gerr
	}
	if werr != nil {
		fmt.Fprintln(os.Stderr, "rss: command failed:", werr)
		os.Exit(1)
	}
	total := written.Load()
	if len(samples) < 5 {
		fmt.Fprintln(os.Stderr, "rss: too few samples (use more lines)")
		os.Exit(1)
	}
	fmt.Printf("%d lines (%.0f MB) in %.1f s, %d RSS samples\n", *n, float64(total)/1e6, elapsed.Seconds(), len(samples))
	fmt.Println("input done   RSS MB")
	next := int64(0)
	for _, s := range samples {
		if s.bytes >= next {
			fmt.Printf("%9.0f%%  %7.1f\n", 100*float64(s.bytes)/float64(total), s.rss)
			next += total / 10
		}
	}
	var peak, warm, last, lo, hi float64
	warmed := false
	for _, s := range samples {
		peak = max(peak, s.rss)
		if float64(s.bytes) < *warmup*float64(total) || s.bytes >= total {
			continue
		}
		if !warmed {
			warm, lo, hi, warmed = s.rss, s.rss, s.rss, true
		}
		lo, hi, last = min(lo, s.rss), max(hi, s.rss), s.rss
	}
	growth := last - warm
	fmt.Printf("peak %.1f MB; after warm-up (%.0f%% of the input) %.1f..%.1f MB, first %.1f, last %.1f, growth %+.1f MB\n",
		peak, 100**warmup, lo, hi, warm, last, growth)
	ok := peak < *maxMB && growth <= *slack && hi-warm <= *slack
	if ok {
		fmt.Printf("PASS: flat (growth within %.0f MB) and under %.0f MB\n", *slack, *maxMB)
		return
	}
	fmt.Printf("FAIL: want peak < %.0f MB and growth <= %.0f MB\n", *maxMB, *slack)
	os.Exit(1)
}

type countWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	k, err := c.w.Write(b)
	c.n.Add(int64(k))
	return k, err
}

// vmRSS reads VmRSS of a process in MB.
func vmRSS(pid int) (float64, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := bytes.CutPrefix([]byte(line), []byte("VmRSS:")); ok {
			kb, err := strconv.ParseFloat(string(bytes.Fields(rest)[0]), 64)
			return kb / 1024, err == nil
		}
	}
	return 0, false
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "rss:", err)
		os.Exit(1)
	}
}
