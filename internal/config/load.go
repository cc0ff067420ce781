package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads, expands, decodes, defaults and validates the file at path;
// ${vault:} references are refused (LoadWith reads them).
func Load(path string) (*Config, error) { return LoadWith(path, LoadOptions{}) }

// LoadWith is Load with ${vault:} references read through opts.Vault.
func LoadWith(path string, opts LoadOptions) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseWith(path, data, opts)
}

// Parse does the work of Load on data already read; getenv resolves
// ${env:NAME} references (tests pass their own).
func Parse(file string, data []byte, getenv func(string) string) (*Config, error) {
	return ParseWith(file, data, LoadOptions{Getenv: getenv})
}

// ParseWith is Parse with the options of LoadWith.
func ParseWith(file string, data []byte, opts LoadOptions) (*Config, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Key: "(file)", Msg: "the file is empty: nothing to configure (see docs/config.md)"}
		}
		return nil, syntaxError(file, data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &Error{File: file, Key: "(file)", Msg: "the file is empty: nothing to configure (see docs/config.md)"}
	}
	root := doc.Content[0]
	l := &loader{file: file, getenv: getenv, lines: map[string]int{}, resolve: opts.Resolve}
	if opts.Resolve == nil {
		l.resolve = func(string) bool { return true }
	}
	// secrets.vault first (its own references are env and file ones):
	// the other references may need it.
	if vn := child(child(root, "secrets"), "vault"); vn != nil {
		l.expand(vn, "secrets.vault")
		var v Vault
		if len(l.errs) == 0 && vn.Decode(&v) == nil && opts.Vault != nil {
			read, err := opts.Vault(v)
			if err != nil {
				l.fail(vn, "secrets.vault", "%v", err)
			}
			l.vault = read
		}
	}
	// The cloud secret managers' settings likewise.
	var cs Secrets
	sec := child(root, "secrets")
	for _, f := range []struct {
		key string
		to  any
	}{{"aws", &cs.AWS}, {"gcp", &cs.GCP}, {"azure", &cs.Azure}, {"infisical", &cs.Infisical}} {
		if n := child(sec, f.key); n != nil {
			l.expand(n, "secrets."+f.key)
			if len(l.errs) == 0 {
				_ = n.Decode(f.to) // a wrong type is reported with the rest
			}
		}
	}
	if len(l.errs) == 0 && opts.Cloud != nil {
		read, err := opts.Cloud(cs)
		if err != nil {
			l.fail(orNode(sec, root), "secrets", "%v", err)
		}
		l.cloud = read
	}
	l.expand(root, "")
	l.checkKeys(root, reflect.TypeFor[Config](), "")
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	var c Config
	if err := root.Decode(&c); err != nil {
		return nil, l.decodeError(err)
	}
	c.Source = file
	c.ApplyDefaults()
	errs := c.validate()
	if len(errs) == 0 && opts.Check != nil {
		errs = opts.Check(&c)
	}
	errs = slices.DeleteFunc(errs, func(e *Error) bool { return l.unresolvedAt(e.Key) })
	if len(errs) > 0 {
		for _, e := range errs {
			e.File = file
			e.Line = l.lineOf(e.Key)
		}
		return nil, errs
	}
	return &c, nil
}

// unresolvedAt reports whether key is, or is inside, a value whose
// references LoadOptions.Resolve left unread: its placeholder says
// nothing about the value it stands for.
func (l *loader) unresolvedAt(key string) bool {
	for _, u := range l.unresolved {
		if key == u || strings.HasPrefix(key, u+".") || strings.HasPrefix(key, u+"[") || strings.HasPrefix(u, key+".") || strings.HasPrefix(u, key+"[") {
			return true
		}
	}
	return false
}

type loader struct {
	file   string
	getenv func(string) string
	// vault reads ${vault:path#key} (nil: refused).
	vault func(path, key string) (string, error)
	// cloud reads the cloud secret managers' references (nil: refused).
	cloud CloudReader
	lines map[string]int
	errs  Errors
	// resolve says whether the references under a key are read;
	// unresolved lists the keys whose references were not.
	resolve    func(key string) bool
	unresolved []string
}

func (l *loader) fail(n *yaml.Node, key, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: l.file, Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// lineOf returns the line of key or of its nearest ancestor present in the file.
func (l *loader) lineOf(key string) int {
	for key != "" {
		if n, ok := l.lines[key]; ok {
			return n
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

// expand replaces ${env:NAME} and ${file:PATH} references in every scalar.
// Errors name the reference, never a resolved value.
func (l *loader) expand(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			l.expand(n.Content[i+1], join(path, n.Content[i].Value))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			l.expand(c, fmt.Sprintf("%s[%d]", path, i))
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		if !l.resolve(path) && !isSecretsSetting(path) {
			n.Value = Unresolved
			n.Tag = "!!str"
			n.Style = yaml.DoubleQuotedStyle
			l.unresolved = append(l.unresolved, path)
			return
		}
		v, err := expandRefs(n.Value, l.getenv, l.vault, l.cloud)
		if err != nil {
			l.fail(n, path, "%v", err)
			return
		}
		n.Value = v
		n.Tag = "!!str"
		n.Style = yaml.DoubleQuotedStyle
	}
}

// Unresolved is the value of a scalar with references that
// LoadOptions.Resolve left unread.
const Unresolved = "unresolved"

// ExpandRefs resolves ${env:NAME} and ${file:PATH} in s. A file's trailing
// newline is dropped. An unset variable is an error: a silently empty
// password is worse than a refusal to start.
func ExpandRefs(s string, getenv func(string) string) (string, error) {
	return expandRefs(s, getenv, nil, nil)
}

// ExpandRefsWith is ExpandRefs that also reads ${vault:path#key}
// through vault (nil: refused).
func ExpandRefsWith(s string, getenv func(string) string, vault func(path, key string) (string, error)) (string, error) {
	return expandRefs(s, getenv, vault, nil)
}

// ExpandRefsAll is ExpandRefsWith that also reads the cloud secret
// managers' references through cloud (nil: refused).
func ExpandRefsAll(s string, getenv func(string) string, vault func(path, key string) (string, error), cloud CloudReader) (string, error) {
	return expandRefs(s, getenv, vault, cloud)
}

func expandRefs(s string, getenv func(string) string, vault func(path, key string) (string, error), cloud CloudReader) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("unterminated reference %q", s[i:])
		}
		ref := s[i+2 : i+j]
		b.WriteString(s[:i])
		s = s[i+j+1:]
		kind, arg, ok := strings.Cut(ref, ":")
		if !ok || arg == "" {
			return "", fmt.Errorf("reference ${%s} must be ${env:NAME} or ${file:PATH}", ref)
		}
		switch kind {
		case "env":
			v := getenv(arg)
			if v == "" {
				return "", fmt.Errorf("environment variable %s (from ${env:%s}) is not set", arg, arg)
			}
			b.WriteString(v)
		case "file":
			data, err := os.ReadFile(arg)
			if err != nil {
				return "", fmt.Errorf("${file:%s}: %v", arg, unwrapPathErr(err))
			}
			b.WriteString(strings.TrimRight(string(data), "\r\n"))
		case "vault":
			path, key, ok := strings.Cut(arg, "#")
			if !ok || path == "" || key == "" {
				return "", fmt.Errorf("${vault:%s}: want ${vault:path#key}", arg)
			}
			if vault == nil {
				return "", fmt.Errorf("${vault:%s} needs secrets.vault", arg)
			}
			v, err := vault(path, key)
			if err != nil {
				return "", fmt.Errorf("${vault:%s}: %v", arg, err)
			}
			b.WriteString(v)
		case KindAWS, KindGCP, KindAzure, KindInfisical:
			r, err := ParseSecretRef(kind, arg)
			if err != nil {
				return "", err
			}
			if cloud == nil {
				return "", fmt.Errorf("%s: %s references are not read here", r, kind)
			}
			v, err := cloud(r)
			if err != nil {
				return "", fmt.Errorf("%s: %v", r, err)
			}
			b.WriteString(v)
		default:
			return "", fmt.Errorf("unknown reference kind %q in ${%s} (want env, file, vault, aws-sm, gcp-sm, azure-kv or infisical)", kind, ref)
		}
	}
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// checkKeys walks the document against the Go type, recording the line of
// every key and reporting keys the type does not have.
func (l *loader) checkKeys(n *yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if path != "" {
		if _, ok := l.lines[path]; !ok {
			l.lines[path] = n.Line
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || t == reflect.TypeFor[Replica]()) {
				return
			}
			l.fail(n, orRoot(path), "must be a mapping")
			return
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if opts == "inline" && f.Type.Kind() == reflect.Struct {
				for j := 0; j < f.Type.NumField(); j++ {
					if in, _, _ := strings.Cut(f.Type.Field(j).Tag.Get("yaml"), ","); in != "" && in != "-" {
						fields[in] = f.Type.Field(j).Type
					}
				}
				continue
			}
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				l.fail(k, join(path, k.Value), "unknown key (known: %s)", knownKeys(fields))
				continue
			}
			l.checkKeys(n.Content[i+1], ft, join(path, k.Value))
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode && t.Elem().Kind() == reflect.Struct {
			for i := 0; i+1 < len(n.Content); i += 2 {
				l.checkKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || t == reflect.TypeFor[Files]()) {
				return
			}
			l.fail(n, path, "must be a list")
			return
		}
		for i, c := range n.Content {
			l.checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func orRoot(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

func knownKeys(m map[string]reflect.Type) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

// decodeError turns yaml.v3 type errors ("line 7: cannot unmarshal ...")
// into located errors that do not echo values.
func (l *loader) decodeError(err error) error {
	te, ok := err.(*yaml.TypeError)
	if !ok {
		return &Error{File: l.file, Key: "(file)", Msg: err.Error()}
	}
	var errs Errors
	for _, m := range te.Errors {
		line := 0
		if rest, ok := strings.CutPrefix(m, "line "); ok {
			if num, _, ok := strings.Cut(rest, ":"); ok {
				line, _ = strconv.Atoi(num)
			}
		}
		key := "(value)"
		for k, ln := range l.lines {
			if ln == line && (key == "(value)" || len(k) > len(key)) {
				key = k
			}
		}
		msg := m
		if _, after, ok := strings.Cut(m, "cannot unmarshal "); ok {
			// "!!str `abc` into int": drop the value itself.
			if _, into, ok := strings.Cut(after, " into "); ok {
				msg = "wrong type: want " + into
			}
		}
		errs = append(errs, &Error{File: l.file, Line: line, Key: key, Msg: msg})
	}
	return errs
}

// orNode is n, or def when n is nil.
func orNode(n, def *yaml.Node) *yaml.Node {
	if n == nil {
		return def
	}
	return n
}

// child is the value of key in mapping n (nil when absent).
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// yamlLine is the "line N: " the YAML library puts before a message.
var yamlLine = regexp.MustCompile(`^line (\d+): `)

// syntaxError reports a YAML syntax error at the line where the text
// stops being YAML. The library names the line where the construct it was
// reading began (a list begun on line 1 whose item on line 3 is
// mis-indented is reported at line 1); the first line whose addition
// makes the text fail to parse is where the fault is.
func syntaxError(file string, data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return &Error{File: file, Key: "(file)", Msg: msg}
	}
	reported, _ := strconv.Atoi(m[1])
	msg = msg[len(m[0]):]
	lines := bytes.SplitAfter(data, []byte("\n"))
	line := reported
	for n := reported; n <= len(lines); n++ {
		var probe yaml.Node
		if yaml.Unmarshal(bytes.Join(lines[:n], nil), &probe) != nil {
			line = n
			break
		}
	}
	return &Error{File: file, Line: line, Key: "(file)", Msg: msg}
}

// OnlyDatabase is a LoadOptions.Resolve that reads the references of
// the database named name in the file data (of its only database when
// name is ""), and no others.
func OnlyDatabase(data []byte, name string) func(key string) bool {
	var doc struct {
		Databases []struct {
			Name string `yaml:"name"`
		} `yaml:"databases"`
	}
	idx := -1
	if yaml.Unmarshal(data, &doc) == nil {
		for i, d := range doc.Databases {
			if d.Name == name || name == "" && len(doc.Databases) == 1 {
				idx = i
			}
		}
	}
	prefix := fmt.Sprintf("databases[%d]", idx)
	return func(key string) bool {
		return idx >= 0 && (key == prefix || strings.HasPrefix(key, prefix+".") || strings.HasPrefix(key, prefix+"["))
	}
}
