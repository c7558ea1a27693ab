package domain

import (
	"errors"
	"math"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		exponent int
		want     int64
		err      error
	}{
		{"12.34", 2, 1234, nil},
		{"12.3", 2, 1230, nil},
		{"12", 2, 1200, nil},
		{"0.01", 2, 1, nil},
		{"007.50", 2, 750, nil},
		{"12.340", 2, 1234, nil},
		{"5", 0, 5, nil},
		{"92233720368547758.07", 2, math.MaxInt64, nil},
		{"92233720368547758.08", 2, 0, ErrAmountRange},
		{"12.345", 2, 0, ErrAmountPrecision},
		{"1.5", 0, 0, ErrAmountPrecision},
		{"0", 2, 0, ErrAmountNotPositive},
		{"0.00", 2, 0, ErrAmountNotPositive},
		{"", 2, 0, ErrAmountFormat},
		{"-1", 2, 0, ErrAmountFormat},
		{"+1", 2, 0, ErrAmountFormat},
		{"1e3", 2, 0, ErrAmountFormat},
		{".5", 2, 0, ErrAmountFormat},
		{"5.", 2, 0, ErrAmountFormat},
		{"1 000", 2, 0, ErrAmountFormat},
		{"1,5", 2, 0, ErrAmountFormat},
		{"1.2.3", 2, 0, ErrAmountFormat},
		{"NaN", 2, 0, ErrAmountFormat},
		{"١٢", 2, 0, ErrAmountFormat},
	}
	for _, tt := range tests {
		got, err := ParseDecimal(tt.in, tt.exponent)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParseDecimal(%q, %d) = %d, %v; want %d, %v", tt.in, tt.exponent, got, err, tt.want, tt.err)
		}
	}
}

func TestFormatMinor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v        int64
		exponent int
		want     string
	}{
		{1234, 2, "12.34"},
		{5, 2, "0.05"},
		{0, 2, "0.00"},
		{-5, 2, "-0.05"},
		{7, 0, "7"},
		{math.MinInt64, 2, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := FormatMinor(tt.v, tt.exponent); got != tt.want {
			t.Errorf("FormatMinor(%d, %d) = %q; want %q", tt.v, tt.exponent, got, tt.want)
		}
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"12.34", "0.01", "1e3", "92233720368547758.07", "-1"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, s string, exponent int) {
		exponent = ((exponent % 5) + 5) % 5
		v, err := ParseDecimal(s, exponent)
		if err != nil {
			return
		}
		if v <= 0 {
			t.Fatalf("ParseDecimal(%q) = %d: not positive", s, v)
		}
		back, err := ParseDecimal(FormatMinor(v, exponent), exponent)
		if err != nil || back != v {
			t.Fatalf("round trip of %q: %d -> %q -> %d, %v", s, v, FormatMinor(v, exponent), back, err)
		}
	})
}
