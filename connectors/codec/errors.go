package codec

import "errors"

// ErrLineTooLong is the Err of the *DecodeError that the text and JSON
// decoders return for a line longer than MaxLineSize bytes (not counting its
// "\n" or "\r\n"). The rest of that line is skipped and decoding goes on with
// the next line (Resync is true).
var ErrLineTooLong = errors.New("line longer than 16 MiB")

// ErrUnknownCodec is wrapped by the error Lookup returns for a name it does
// not know; the message lists the known names.
var ErrUnknownCodec = errors.New("unknown codec")
