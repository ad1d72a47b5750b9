package geotiff

import "errors"

// TIFF LZW (TIFF 6.0 section 13) differs from compress/lzw: codes are read
// most significant bit first from 9 to 12 bits, and the code width grows one
// code early (when the next free code reaches 2^width - 1, libtiff's and the
// specification's "early change").
const (
	lzwClear = 256
	lzwEOI   = 257
	lzwFirst = 258
	lzwMax   = 4096
)

var errLZWShort = errors.New("not enough data")

// lzwDecode decodes TIFF LZW data into out, which it fills exactly; data
// beyond it is ignored, as libtiff does.
func lzwDecode(data, out []byte) error {
	if len(data) >= 2 && data[0] == 0 && data[1]&1 != 0 {
		return errors.New("old-style (pre-TIFF 6.0) LZW is not supported")
	}
	var (
		prefix [lzwMax]uint16
		suffix [lzwMax]byte
		first  [lzwMax]byte // first byte of each string
		length [lzwMax]uint16
	)
	for i := range 256 {
		suffix[i], first[i], length[i] = byte(i), byte(i), 1
	}
	var acc uint32
	var nacc uint
	pos, n := 0, 0
	width := uint(9)
	next := lzwFirst
	prev := -1
	for n < len(out) {
		for nacc < width {
			if pos == len(data) {
				return errLZWShort
			}
			acc = acc<<8 | uint32(data[pos])
			pos++
			nacc += 8
		}
		code := int(acc>>(nacc-width)) & (1<<width - 1)
		nacc -= width
		switch {
		case code == lzwClear:
			width, next, prev = 9, lzwFirst, -1
			continue
		case code == lzwEOI:
			return errLZWShort
		case prev < 0:
			if code > 255 {
				return errors.New("corrupted LZW table: first code is not a literal")
			}
			out[n] = byte(code)
			n++
			prev = code
			continue
		case code > next || (code == next && next >= lzwMax):
			return errors.New("corrupted LZW table: code out of range")
		}
		// The string of code (or, for the code being defined, that of prev
		// followed by its own first byte).
		c := code
		if code == next {
			c = prev
		}
		l := int(length[c])
		extra := 0
		if code == next {
			extra = 1
		}
		end := min(n+l+extra, len(out))
		if code == next && end == n+l+1 {
			out[end-1] = first[prev] //nolint:gosec // G602: prev ≥ 0 once a code has been read (the prev < 0 case continues); end-1 ≥ n
		}
		// Write the string backwards, skipping what falls beyond out.
		for i, k := n+l-1, c; k >= 0; i-- {
			if i < end {
				out[i] = suffix[k]
			}
			if length[k] == 1 {
				break
			}
			k = int(prefix[k])
		}
		if next < lzwMax {
			prefix[next] = uint16(prev)
			suffix[next] = first[c]
			if code == next {
				suffix[next] = first[prev] //nolint:gosec // G602: next < lzwMax and 0 ≤ prev < next
			}
			first[next] = first[prev]       //nolint:gosec // G602: as above
			length[next] = length[prev] + 1 //nolint:gosec // G602: as above
			next++
			if next >= 1<<width-1 && width < 12 {
				width++
			}
		}
		n = end
		prev = code
	}
	return nil
}
