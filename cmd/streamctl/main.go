// Command streamctl runs Lua scripts over streams of records: handlers bound
// to sources (stdin, files, timers, processes, Kafka, HTTP) whose results go
// to sinks, and one-liners that filter and reshape a stream like jq or awk.
package main

import "os"

func main() { os.Exit(run(newEnv())) }
