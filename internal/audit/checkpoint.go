package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Checkpoints are written to a file of their own, one JSON line each:
//
//	{"n":3,"seq":3000,"time":"…","file":"audit.jsonl","head":"<mac of record 3000>",
//	 "first_seq":1,"first":"<mac of record 1>","every":1000,"prev":"<mac of checkpoint 2>","mac":"…"}
//
// n counts checkpoints from 1; head is the chain value of record seq, the
// log's head when the checkpoint was taken; first_seq/first anchor the
// first record the checkpoints cover (the first one written after they
// were enabled); prev chains checkpoints as records are chained; mac (or
// hash, without a key) covers the line. Every record written while
// checkpoints are on carries "ckpt": the number of checkpoints written
// before it, so a checkpoint file cut short is caught by the log itself.

// checkpoint is one checkpoint line.
type checkpoint struct {
	N        uint64 `json:"n"`
	Seq      uint64 `json:"seq"`
	Time     string `json:"time"`
	File     string `json:"file"`
	Head     string `json:"head"`
	FirstSeq uint64 `json:"first_seq"`
	First    string `json:"first"`
	Every    int    `json:"every"`
	Prev     string `json:"prev"`
	Hash     string `json:"hash,omitempty"`
	Mac      string `json:"mac,omitempty"`
}

// Defaults of the checkpoint schedule.
const (
	DefaultCheckpointEvery    = 1000
	DefaultCheckpointInterval = 10 * time.Second
)

// checkpointer writes checkpoints; it belongs to the writer goroutine.
type checkpointer struct {
	f        *os.File
	key      []byte
	every    int
	ticker   *time.Ticker
	file     string
	n        uint64 // checkpoints written
	prev     string // chain value of the last checkpoint
	seq      uint64 // record seq of the last checkpoint
	firstSeq uint64
	first    string // "" until the first covered record is written
}

// openCheckpoints opens the checkpoint file and continues its chain. The
// log (whose last record is logSeq) must not be behind its last checkpoint.
func openCheckpoints(path string, opts Options, logSeq uint64, logHead, logPath string) (*checkpointer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	c := &checkpointer{f: f, key: opts.Key, every: opts.CheckpointEvery, file: filepath.Base(logPath), prev: genesis}
	if c.every <= 0 {
		c.every = DefaultCheckpointEvery
	}
	interval := opts.CheckpointInterval
	if interval <= 0 {
		interval = DefaultCheckpointInterval
	}
	last, _, err := lastLine(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit checkpoints %s: %w", path, err)
	}
	if last != nil {
		var ck checkpoint
		if err := json.Unmarshal(last, &ck); err != nil {
			f.Close()
			return nil, fmt.Errorf("audit checkpoints %s: last checkpoint does not parse: %w", path, err)
		}
		if ck.Seq > logSeq || ck.Seq == logSeq && ck.Head != logHead {
			f.Close()
			return nil, fmt.Errorf("audit log %s does not match checkpoint %d of %s (record %d): the log was truncated or changed; run floe audit verify", logPath, ck.N, path, ck.Seq)
		}
		c.n, c.seq, c.firstSeq, c.first = ck.N, ck.Seq, ck.FirstSeq, ck.First
		c.prev = ck.Mac
		if c.prev == "" {
			c.prev = ck.Hash
		}
	}
	c.ticker = time.NewTicker(interval)
	return c, nil
}

// tick fires when a timed checkpoint is due (never without checkpoints).
func (c *checkpointer) tick() <-chan time.Time {
	if c == nil {
		return nil
	}
	return c.ticker.C
}

// due reports whether a count-based checkpoint is due after record seq.
func (c *checkpointer) due(seq uint64) bool {
	return c != nil && seq-c.seq >= uint64(c.every)
}

func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.ticker.Stop()
	_ = c.f.Close()
}

// covered notes a record written: the first one anchors the checkpoints.
func (c *checkpointer) covered(seq uint64, sum string) {
	if c != nil && c.first == "" {
		c.firstSeq, c.first = seq, sum
	}
}

// write appends a checkpoint naming record seq, whose chain value is head.
func (c *checkpointer) write(seq uint64, head string, now time.Time) error {
	ck := checkpoint{N: c.n + 1, Seq: seq, Time: now.UTC().Format(time.RFC3339Nano), File: c.file, Head: head,
		FirstSeq: c.firstSeq, First: c.first, Every: c.every, Prev: c.prev}
	line, sum := encodeCheckpoint(ck, c.key)
	if _, err := c.f.Write(append(line, '\n')); err != nil {
		return err
	}
	if err := c.f.Sync(); err != nil {
		return err
	}
	c.n, c.seq, c.prev = ck.N, seq, sum
	return nil
}

// encodeCheckpoint returns the line of ck with its mac (or hash) and
// that value.
func encodeCheckpoint(ck checkpoint, key []byte) ([]byte, string) {
	out := make([]byte, 0, 512)
	out = append(out, `{"n":`...)
	out = strconv.AppendUint(out, ck.N, 10)
	out = append(out, `,"seq":`...)
	out = strconv.AppendUint(out, ck.Seq, 10)
	out = append(out, `,"time":`...)
	out = appendString(out, ck.Time)
	out = append(out, `,"file":`...)
	out = appendString(out, ck.File)
	out = append(out, `,"head":`...)
	out = appendString(out, ck.Head)
	out = append(out, `,"first_seq":`...)
	out = strconv.AppendUint(out, ck.FirstSeq, 10)
	out = append(out, `,"first":`...)
	out = appendString(out, ck.First)
	out = append(out, `,"every":`...)
	out = strconv.AppendInt(out, int64(ck.Every), 10)
	out = append(out, `,"prev":`...)
	out = appendString(out, ck.Prev)
	out = append(out, '}')
	sum := sumLine(key, out)
	field := `,"hash":"`
	if len(key) > 0 {
		field = `,"mac":"`
	}
	return append(out[:len(out)-1], field+sum+`"}`...), sum
}

// checkpoint writes a checkpoint of the head after making sure the
// records up to it are in the file.
func (w *Writer) checkpoint() error {
	if w.ck == nil || w.seq == w.ck.seq || w.ck.first == "" {
		return nil
	}
	if err := w.flush(); err != nil {
		return err
	}
	if w.f != nil {
		if err := w.f.Sync(); err != nil {
			return err
		}
	}
	return w.ck.write(w.seq, w.head(), w.opts.Now())
}

// firstSeq is the sequence number of the first record of f (last when it
// cannot be read).
func firstSeq(f *os.File, last uint64) uint64 {
	if _, err := f.Seek(0, 0); err != nil {
		return last
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var h header
		if json.Unmarshal(sc.Bytes(), &h) != nil {
			return last
		}
		return h.Seq
	}
	return last
}

// readCheckpoints reads and checks a checkpoint file: each line's mac
// (or hash), the numbering from 1, the chain, increasing sequence
// numbers and one anchor.
func readCheckpoints(path string, key []byte) ([]checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []checkpoint
	prev := genesis
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Bytes()
		if len(raw) == 0 {
			continue
		}
		bad := func(reason string) error {
			return &BreakError{File: path, Line: line, Seq: uint64(len(out) + 1), Reason: "checkpoint " + reason}
		}
		var ck checkpoint
		if err := json.Unmarshal(raw, &ck); err != nil {
			return nil, bad("does not parse: " + err.Error())
		}
		if (ck.Mac != "") != (len(key) > 0) {
			if len(key) == 0 {
				return nil, bad("is keyed (HMAC-SHA-256): verify with the audit key")
			}
			return nil, bad("is not keyed, in checkpoints verified with a key")
		}
		line2, sum := encodeCheckpoint(ck, key)
		if string(line2) != string(raw) || (ck.Mac != "" && sum != ck.Mac) || (ck.Mac == "" && sum != ck.Hash) {
			return nil, bad("was changed (its mac does not match its contents)")
		}
		switch {
		case ck.N != uint64(len(out)+1):
			return nil, bad(fmt.Sprintf("number %d, expected %d (a checkpoint is missing or out of order)", ck.N, len(out)+1))
		case ck.Prev != prev:
			return nil, bad("does not follow the previous checkpoint")
		case len(out) > 0 && ck.Seq <= out[len(out)-1].Seq:
			return nil, bad("names an earlier record than the one before it")
		case len(out) > 0 && (ck.FirstSeq != out[0].FirstSeq || ck.First != out[0].First):
			return nil, bad("names another first record")
		}
		prev = sum
		out = append(out, ck)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, errors.New(path + ": no checkpoints")
	}
	return out, nil
}
