package kafka

import (
	"errors"
	"fmt"
	"strings"

	"github.com/streamctl/streamctl/exitcode"
)

var (
	// ErrUnreachable is wrapped by the error Run, Write, Flush and Send
	// return when no seed broker answered a metadata request within
	// Config.DialTimeout: `kafka: brokers 127.0.0.1:1 unreachable: <cause>`.
	ErrUnreachable = errors.New("brokers unreachable")
	// ErrUnknownTopic is wrapped by the error Run, Write and Send return
	// when the topic does not exist and Config.AutoCreate is off (or the
	// broker refused to create it): `kafka: topic "x" does not exist`.
	ErrUnknownTopic = errors.New("topic does not exist")
	// ErrDataDirLocked is wrapped by StartDevBroker when another dev-broker
	// holds the data directory; the message names the holder's pid and the
	// error's exit code is exitcode.Locked (75).
	ErrDataDirLocked = errors.New("data dir is held by another dev-broker")
)

// unreachableError names the brokers that did not answer.
type unreachableError struct {
	brokers []string
	err     error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("kafka: brokers %s unreachable: %v", strings.Join(e.brokers, ","), e.err)
}

func (e *unreachableError) Unwrap() []error { return []error{ErrUnreachable, e.err} }

// unknownTopicError names the missing topic.
type unknownTopicError struct {
	topic      string
	autoCreate bool
}

func (e *unknownTopicError) Error() string {
	if e.autoCreate {
		return fmt.Sprintf("kafka: topic %q does not exist and the broker did not create it (is auto.create.topics.enable off?)", e.topic)
	}
	return fmt.Sprintf("kafka: topic %q does not exist", e.topic)
}

func (e *unknownTopicError) Unwrap() error { return ErrUnknownTopic }

// lockedError names the data dir and the pid of the dev-broker holding it.
type lockedError struct{ dir, pid string }

func (e *lockedError) Error() string {
	return fmt.Sprintf("dev-broker: data dir %s is held by another dev-broker (pid %s)", e.dir, e.pid)
}

func (e *lockedError) Unwrap() error { return ErrDataDirLocked }

// ExitCode is exitcode.Locked (75), as for a cache held by another process.
func (e *lockedError) ExitCode() int { return exitcode.Locked }
