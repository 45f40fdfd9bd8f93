// Command nop does nothing: the start-up time of the smallest Go program,
// the floor under any Go binary's start-up on the machine, which
// scripts/bench/pipe.sh prints next to streamctl's.
package main

func main() {}
