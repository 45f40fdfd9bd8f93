// Command timeit runs a command N times, stdin from a file and stdout to a
// file (truncated before every run), and prints one line with the best and
// median wall time and CPU time (user + sys of the child and its
// children) in seconds, and the median number of minor page faults:
//
//	wall_best wall_median cpu_best cpu_median faults_median maxrss_mb
//
// maxrss_mb is the largest resident set any run reached, in MB.
//
// scripts/bench/pipe.sh uses it for every row of its table and for the
// start-up time (`-n 50 -in /dev/null -- streamctl pipe true`). On a
// shared machine the best of several runs is the least disturbed one, and
// CPU time moves much less than wall time.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 3, "number of runs")
	in := flag.String("in", "/dev/null", "stdin of the command")
	out := flag.String("out", "/dev/null", "stdout of the command, truncated before each run")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: timeit [-n N] [-in FILE] [-out FILE] -- CMD [ARG...]")
		os.Exit(2)
	}
	var walls, cpus []float64
	var faults []int64
	var maxRSS int64
	for i := 0; i < *n; i++ {
		wall, cpu, minflt, rss, err := run(args, *in, *out)
		if err != nil {
			fmt.Fprintf(os.Stderr, "timeit: %s: %v\n", args[0], err)
			os.Exit(1)
		}
		walls = append(walls, wall.Seconds())
		cpus = append(cpus, cpu.Seconds())
		faults = append(faults, minflt)
		maxRSS = max(maxRSS, rss)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	slices.Sort(faults)
	fmt.Printf("%.4f %.4f %.4f %.4f %d %.1f\n", walls[0], walls[len(walls)/2], cpus[0], cpus[len(cpus)/2], faults[len(faults)/2], float64(maxRSS)/1024)
}

func run(args []string, in, out string) (wall, cpu time.Duration, minflt, maxRSS int64, err error) {
	stdin, err := os.Open(in)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer stdin.Close()
	stdout, err := os.Create(out)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer stdout.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, os.Stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, 0, 0, err
	}
	wall = time.Since(t0)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return wall, cpu, ru.Minflt, ru.Maxrss, nil // Maxrss: KiB on Linux
}
