package state

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
)

// Aggregator folds the values of a window into an accumulator. Accumulators
// are values of the data model (nil, bool, int64, float64, string, []byte,
// []any, value.Object), because a Windower persists them; an accumulator
// outside it makes the next store write fail.
//
// Call protocol, per window: acc = Init(), then acc = Add(acc, v) for each
// value in arrival order; session windows that a record bridges are combined
// with Merge(earlier, later) (only session windows call Merge); the emitted
// value is Result(acc). A Windower may keep and persist acc after passing it
// to Add or Merge, so implementations should return a new value rather than
// modify acc in place when that matters (the built-ins append to their own
// slices, which is safe). An error from Add, Merge or Result fails the
// Windower call that made it, without changing the window.
//
// The Lua binding implements it for `agg={init=, add=, merge=}`.
type Aggregator interface {
	Init() any
	Add(acc, v any) (any, error)
	Merge(a, b any) (any, error)
	Result(acc any) (any, error)
}

// builtinNames lists the built-in aggregators in the order errors print them.
// ValueBlind is implemented by aggregators that never look at the values
// they aggregate (count): the caller may pass nil instead of converting them.
type ValueBlind interface {
	IgnoresValues() bool
}

var builtinNames = []string{"count", "sum", "min", "max", "avg", "list", "set"}

// BuiltinAggregator returns the built-in aggregator name:
//
//   - "count": the number of values (int64); values may be anything.
//   - "sum": the sum of numbers, int64 while every value is an integer and
//     the sum does not overflow, else float64; 0 for no values.
//   - "min", "max": the least or greatest value; numbers compare
//     numerically, strings byte-wise; mixing them is an error. nil for none.
//   - "avg": sum / count as a float64 (the accumulator is {sum, count}); nil
//     for none.
//   - "list": the values in arrival order ([]any).
//   - "set": the distinct values in first-seen order ([]any); numbers equal
//     as numbers (1 and 1.0) are the same value.
//
// An unknown name gives an error listing the names.
func BuiltinAggregator(name string) (Aggregator, error) {
	switch name {
	case "count":
		return countAgg{}, nil
	case "sum":
		return sumAgg{}, nil
	case "min":
		return extremeAgg{name: "min", less: true}, nil
	case "max":
		return extremeAgg{name: "max"}, nil
	case "avg":
		return avgAgg{}, nil
	case "list":
		return listAgg{}, nil
	case "set":
		return setAgg{}, nil
	}
	return nil, fmt.Errorf("unknown aggregator %q (known: %s)", name, strings.Join(builtinNames, ", "))
}

type countAgg struct{}

// IgnoresValues implements ValueBlind: a count does not look at values.
func (countAgg) IgnoresValues() bool { return true }

func (countAgg) Init() any                   { return int64(0) }
func (countAgg) Add(acc, _ any) (any, error) { return addNumbers("count", acc, int64(1)) }
func (countAgg) Merge(a, b any) (any, error) { return addNumbers("count", a, b) }
func (countAgg) Result(acc any) (any, error) { return acc, nil }

type sumAgg struct{}

func (sumAgg) Init() any                   { return int64(0) }
func (sumAgg) Add(acc, v any) (any, error) { return addNumbers("sum", acc, v) }
func (sumAgg) Merge(a, b any) (any, error) { return addNumbers("sum", a, b) }
func (sumAgg) Result(acc any) (any, error) { return acc, nil }

// addNumbers adds two numbers, staying int64 while both are integers and the
// sum does not overflow.
func addNumbers(agg string, a, b any) (any, error) {
	ai, af, aInt, ok := number(a)
	if !ok {
		return nil, notNumber(agg, a)
	}
	bi, bf, bInt, ok := number(b)
	if !ok {
		return nil, notNumber(agg, b)
	}
	if aInt && bInt {
		if s := ai + bi; (bi >= 0 && s >= ai) || (bi < 0 && s < ai) {
			return s, nil
		}
		return float64(ai) + float64(bi), nil
	}
	if aInt {
		af = float64(ai)
	}
	if bInt {
		bf = float64(bi)
	}
	return af + bf, nil
}

func notNumber(agg string, v any) error {
	t := typeName(v)
	return fmt.Errorf("%s: value is %s%s, not a number", agg, article(t), t)
}

type extremeAgg struct {
	name string
	less bool // min
}

func (extremeAgg) Init() any { return nil }

func (e extremeAgg) Add(acc, v any) (any, error) { return e.pick(acc, v) }

func (e extremeAgg) Merge(a, b any) (any, error) { return e.pick(a, b) }

func (extremeAgg) Result(acc any) (any, error) { return acc, nil }

// pick returns the lesser (min) or greater (max) of acc and v; nil acc means
// no value yet.
func (e extremeAgg) pick(acc, v any) (any, error) {
	if v == nil {
		return acc, nil
	}
	if acc == nil {
		if _, _, _, ok := number(v); ok {
			return v, nil
		}
		if _, ok := v.(string); ok {
			return v, nil
		}
		t := typeName(v)
		return nil, fmt.Errorf("%s: value is %s%s, not a number or string", e.name, article(t), t)
	}
	c, err := compareValues(e.name, acc, v)
	if err != nil {
		return nil, err
	}
	if (e.less && c > 0) || (!e.less && c < 0) {
		return v, nil
	}
	return acc, nil
}

// compareValues orders two numbers or two strings.
func compareValues(agg string, a, b any) (int, error) {
	as, aStr := a.(string)
	bs, bStr := b.(string)
	if aStr && bStr {
		return strings.Compare(as, bs), nil
	}
	ai, af, aInt, aNum := number(a)
	bi, bf, bInt, bNum := number(b)
	if !aNum || !bNum {
		ta, tb := typeName(a), typeName(b)
		return 0, fmt.Errorf("%s: cannot compare %s%s with %s%s", agg, article(ta), ta, article(tb), tb)
	}
	if aInt && bInt {
		return cmpInt64(ai, bi), nil
	}
	if aInt {
		af = float64(ai)
	}
	if bInt {
		bf = float64(bi)
	}
	switch {
	case af < bf:
		return -1, nil
	case af > bf:
		return 1, nil
	}
	return 0, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// avgAgg keeps {sum, count}.
type avgAgg struct{}

func (avgAgg) Init() any { return []any{int64(0), int64(0)} }

func (avgAgg) Add(acc, v any) (any, error) {
	sum, n, err := avgParts(acc)
	if err != nil {
		return nil, err
	}
	if sum, err = addNumbers("avg", sum, v); err != nil {
		return nil, err
	}
	return []any{sum, n + 1}, nil
}

func (avgAgg) Merge(a, b any) (any, error) {
	sa, na, err := avgParts(a)
	if err != nil {
		return nil, err
	}
	sb, nb, err := avgParts(b)
	if err != nil {
		return nil, err
	}
	sum, err := addNumbers("avg", sa, sb)
	if err != nil {
		return nil, err
	}
	return []any{sum, na + nb}, nil
}

func (avgAgg) Result(acc any) (any, error) {
	sum, n, err := avgParts(acc)
	if err != nil || n == 0 {
		return nil, err
	}
	i, f, isInt, _ := number(sum)
	if isInt {
		f = float64(i)
	}
	return f / float64(n), nil
}

func avgParts(acc any) (sum any, n int64, err error) {
	a, ok := acc.([]any)
	if ok && len(a) == 2 {
		if n, ok = a[1].(int64); ok {
			return a[0], n, nil
		}
	}
	return nil, 0, fmt.Errorf("avg: accumulator must be {sum, count}, got %s", typeName(acc))
}

type listAgg struct{}

func (listAgg) Init() any { return []any{} }

func (listAgg) Add(acc, v any) (any, error) {
	l, err := listAcc("list", acc)
	return append(l, v), err
}

func (listAgg) Merge(a, b any) (any, error) {
	la, err := listAcc("list", a)
	if err != nil {
		return nil, err
	}
	lb, err := listAcc("list", b)
	return append(slices.Clip(la), lb...), err
}

func (listAgg) Result(acc any) (any, error) {
	l, err := listAcc("list", acc)
	return slices.Clone(l), err
}

func listAcc(agg string, acc any) ([]any, error) {
	switch a := acc.(type) {
	case []any:
		return a, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("%s: accumulator must be a list, got %s", agg, typeName(acc))
}

type setAgg struct{}

func (setAgg) Init() any { return []any{} }

func (setAgg) Add(acc, v any) (any, error) {
	l, err := listAcc("set", acc)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(l, func(e any) bool { return sameValue(e, v) }) {
		return l, nil
	}
	return append(l, v), nil
}

func (s setAgg) Merge(a, b any) (any, error) {
	la, err := listAcc("set", a)
	if err != nil {
		return nil, err
	}
	lb, err := listAcc("set", b)
	if err != nil {
		return nil, err
	}
	acc := any(slices.Clip(la))
	for _, v := range lb {
		if acc, err = s.Add(acc, v); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

func (setAgg) Result(acc any) (any, error) {
	l, err := listAcc("set", acc)
	return slices.Clone(l), err
}

// sameValue reports whether two data model values are equal, numbers by
// value (int64(1) equals float64(1), as in Lua) and []byte equal to the
// same string.
func sameValue(a, b any) bool {
	ai, af, aInt, aNum := number(a)
	bi, bf, bInt, bNum := number(b)
	if aNum || bNum {
		if !aNum || !bNum {
			return false
		}
		if aInt && bInt {
			return ai == bi
		}
		if aInt {
			af = float64(ai)
		}
		if bInt {
			bf = float64(bi)
		}
		return af == bf && !math.IsNaN(af)
	}
	switch x := a.(type) {
	case string:
		switch y := b.(type) {
		case string:
			return x == y
		case []byte:
			return x == string(y)
		}
		return false
	case []byte:
		switch y := b.(type) {
		case string:
			return string(x) == y
		case []byte:
			return string(x) == string(y)
		}
		return false
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, sameValue)
	}
	return reflect.DeepEqual(a, b)
}
