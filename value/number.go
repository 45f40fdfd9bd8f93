package value

import (
	"math"
	"strconv"
)

// Number is the text of a JSON integer that neither an int64 nor a float64
// holds exactly ("12345678901234567890"). The JSON decoder returns one for
// such integers so their digits survive a record passing through unchanged,
// and the state store keeps them as digits; the JSON encoder writes the text
// as it is, other encoders the nearest value their format holds (Float64).
// A state dump line also hands the JSON encoder a float as a Number holding
// its exact text ("3.0", "-0.0"), so that it reads back as a float.
type Number string

// Float64 returns the nearest float64 (the value Lua sees).
func (n Number) Float64() float64 {
	f, _ := strconv.ParseFloat(string(n), 64)
	return f
}

// Int64 returns n as an int64 when it is an integer that fits one.
func (n Number) Int64() (int64, bool) { return ParseInt([]byte(n)) }

// LongInteger reports whether the JSON number text b is an integer at or
// beyond ±2^53, where a float64 starts to lose digits (16 digits or more).
// Fractions and exponents are not integers here.
func LongInteger(b []byte) bool {
	digits := len(b)
	if digits > 0 && b[0] == '-' {
		digits--
	}
	if digits < 16 || !IsIntLiteral(b) { // below 10^15 < 2^53
		return false
	}
	if n, ok := ParseInt(b); ok {
		return LongInt(n)
	}
	return true // beyond int64
}

// LongInt reports whether n is at or beyond ±2^53.
func LongInt(n int64) bool { return n >= 1<<53 || n <= -(1<<53) }

// IsIntLiteral reports whether b is -?[0-9]+.
func IsIntLiteral(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ParseInt parses -?[0-9]+ into an int64, failing on anything else or on
// overflow.
func ParseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg = true
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		u = u*10 + uint64(ch-'0') // 19 digits fit a uint64
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}
