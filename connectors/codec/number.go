package codec

import "strconv"

// Number is the text of a JSON integer that neither an int64 nor a float64
// holds exactly ("12345678901234567890"). The JSON decoder returns one for
// such integers so their digits survive a record passing through unchanged;
// the JSON encoder writes the text as it is, other encoders the nearest
// value their format holds (Float64).
type Number string

// Float64 returns the nearest float64 (the value Lua sees).
func (n Number) Float64() float64 {
	f, _ := strconv.ParseFloat(string(n), 64)
	return f
}

// Int64 returns n as an int64 when it is an integer that fits one.
func (n Number) Int64() (int64, bool) { return parseJSONInt([]byte(n)) }

// LongInteger reports whether the JSON number text b is an integer at or
// beyond ±2^53, where a float64 starts to lose digits (16 digits or more).
// Fractions and exponents are not integers here.
func LongInteger(b []byte) bool {
	digits := len(b)
	if digits > 0 && b[0] == '-' {
		digits--
	}
	if digits < 16 || !isIntegerLiteral(b) { // below 10^15 < 2^53
		return false
	}
	if n, ok := parseJSONInt(b); ok {
		return LongInt(n)
	}
	return true // beyond int64
}

// LongInt reports whether n is at or beyond ±2^53.
func LongInt(n int64) bool { return n >= 1<<53 || n <= -(1<<53) }

// IntegerText reports whether the JSON number text b is an integer:
// -?[0-9]+, no fraction or exponent.
func IntegerText(b []byte) bool { return isIntegerLiteral(b) }

// isIntegerLiteral reports whether b is -?[0-9]+.
func isIntegerLiteral(b []byte) bool {
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
