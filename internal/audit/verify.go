package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// BreakError names the first record where a chain breaks.
type BreakError struct {
	File   string
	Line   int
	Seq    uint64
	Reason string
}

func (e *BreakError) Error() string {
	return fmt.Sprintf("%s:%d: record %d: %s", e.File, e.Line, e.Seq, e.Reason)
}

// VerifyOptions say how to check a log.
type VerifyOptions struct {
	// Key checks a keyed (HMAC-SHA-256) log; with it, every record must
	// be keyed.
	Key []byte
	// Checkpoints is the checkpoint file written beside the log ("":
	// none). With it, records removed at either end, and a checkpoint
	// file cut short, are detected.
	Checkpoints string
	// AllowTail accepts records after the last checkpoint (a live log,
	// or a writer that stopped without closing); they are counted in
	// Report.Uncovered.
	AllowTail bool
}

// Report is what a verification found.
type Report struct {
	Records           int
	FirstSeq, LastSeq uint64
	// Keyed: the records carry MACs (checked with the key).
	Keyed bool
	// Checkpoints checked, and records after the last one.
	Checkpoints int
	Uncovered   uint64
}

// Verify checks the chain through files in order (a rotated series, oldest
// first, then the live file). It returns the number of records checked
// and, if the chain breaks, a *BreakError naming the first bad record.
// A keyed log needs VerifyWith and the key.
func Verify(files ...string) (int, error) {
	r, err := VerifyWith(VerifyOptions{}, files...)
	return r.Records, err
}

// VerifyWith checks the chain through files in order, with the key of a
// keyed log and its checkpoints when given.
func VerifyWith(opts VerifyOptions, files ...string) (Report, error) {
	var rep Report
	var cks []checkpoint
	if opts.Checkpoints != "" {
		var err error
		if cks, err = readCheckpoints(opts.Checkpoints, opts.Key); err != nil {
			return rep, err
		}
		rep.Checkpoints = len(cks)
	}
	bySeq := make(map[uint64]int, len(cks))
	for i, ck := range cks {
		bySeq[ck.Seq] = i
	}
	seen := make([]bool, len(cks))
	anchored := false
	var maxCkpt uint64
	prev, seq, n := genesis, uint64(0), 0
	keyed := len(opts.Key) > 0
	rep.Keyed = keyed
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return rep, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		line := 0
		for sc.Scan() {
			line++
			raw := sc.Bytes()
			if len(raw) == 0 {
				continue
			}
			fail := func(s uint64, reason string) (Report, error) {
				f.Close()
				return rep, &BreakError{File: path, Line: line, Seq: s, Reason: reason}
			}
			var h header
			if err := json.Unmarshal(raw, &h); err != nil {
				return fail(seq+1, "not a record: "+err.Error())
			}
			sum, field := h.Hash, "hash"
			if h.Mac != "" {
				sum, field = h.Mac, "mac"
			}
			switch {
			case h.Mac != "" && !keyed:
				return fail(h.Seq, "record is keyed (HMAC-SHA-256): verify with the audit key (--key)")
			case h.Mac == "" && keyed:
				return fail(h.Seq, "record is not keyed, in a log verified with a key (anyone can rewrite unkeyed records)")
			case h.Mac != "" && h.Hash != "":
				return fail(h.Seq, "record carries both a hash and a mac")
			}
			body, ok := bytes.CutSuffix(raw, []byte(`,"`+field+`":"`+sum+`"}`))
			if !ok || len(sum) != 64 || sumLine(opts.Key, append(bytes.Clone(body), '}')) != sum {
				return fail(h.Seq, "record was changed (its "+field+" does not match its contents)")
			}
			switch {
			case n == 0:
				// The first record checked may continue a chain from a file
				// rotated away: its prev cannot be checked.
				if h.Prev == genesis && h.Seq != 1 {
					return fail(h.Seq, "chain starts with a sequence number other than 1")
				}
				rep.FirstSeq = h.Seq
			case h.Seq != seq+1:
				return fail(h.Seq, fmt.Sprintf("sequence number %d, expected %d (a record is missing or out of order)", h.Seq, seq+1))
			case h.Prev != prev:
				return fail(h.Seq, "previous record's "+field+" does not match (the previous record was changed, or this one was)")
			}
			if len(cks) > 0 {
				if h.Seq == cks[0].FirstSeq {
					if sum != cks[0].First {
						return fail(h.Seq, "record differs from the first record named by the checkpoints")
					}
					anchored = true
				}
				if i, ok := bySeq[h.Seq]; ok {
					if sum != cks[i].Head {
						return fail(h.Seq, fmt.Sprintf("record differs from checkpoint %d (the log was rewritten)", cks[i].N))
					}
					seen[i] = true
				}
			}
			if h.Ckpt != nil {
				maxCkpt = max(maxCkpt, *h.Ckpt)
			}
			prev, seq = sum, h.Seq
			n++
			rep.Records, rep.LastSeq = n, seq
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return rep, fmt.Errorf("%s: %w", path, err)
		}
	}
	if opts.Checkpoints == "" {
		return rep, nil
	}
	ckErr := func(ck checkpoint, reason string) error {
		return &BreakError{File: opts.Checkpoints, Line: int(ck.N), Seq: ck.Seq, Reason: reason}
	}
	if !anchored {
		return rep, ckErr(cks[0], fmt.Sprintf("the first record the checkpoints cover (%d) is not in the log: records were removed from its start (or give the whole rotated series)", cks[0].FirstSeq))
	}
	for i, ck := range cks {
		if seen[i] {
			continue
		}
		if n == 0 || ck.Seq > seq {
			return rep, ckErr(ck, fmt.Sprintf("checkpoint %d names record %d but the log ends at record %d: records were removed from its end", ck.N, ck.Seq, seq))
		}
		return rep, ckErr(ck, fmt.Sprintf("checkpoint %d names record %d, which is not in the log", ck.N, ck.Seq))
	}
	if maxCkpt > uint64(len(cks)) {
		return rep, &BreakError{File: opts.Checkpoints, Line: len(cks), Seq: seq,
			Reason: fmt.Sprintf("the log's records count %d checkpoints but the file holds %d: the checkpoint file was cut short", maxCkpt, len(cks))}
	}
	last := cks[len(cks)-1]
	if seq > last.Seq {
		rep.Uncovered = seq - last.Seq
		if !opts.AllowTail {
			return rep, &BreakError{File: opts.Checkpoints, Line: len(cks), Seq: last.Seq + 1,
				Reason: fmt.Sprintf("records %d to %d come after the last checkpoint: the checkpoint file was cut short, or the log is live or was not closed (--allow-tail accepts that)", last.Seq+1, seq)}
		}
	}
	return rep, nil
}
