package config

import "testing"

func TestStoreDSNRefs(t *testing.T) {
	for _, tc := range []struct {
		dsn string
		ok  bool
	}{
		{"postgres://u@h:5432/db", true},
		{"postgres://u:${env:PW}@h:5432/db?sslmode=disable", true},
		{"postgres://u:${aws-sm:db/prod#password}@h:5432/db", true},
		{"postgres://u:${env:A}${env:B}@h/db", true},
		{"mysql://u:${vault:kv/db#pw}@h:3306/db", true},
		{"postgres://u@h/db?password=${env:PW}", true},
		{"host=h user=u password=${env:PW} dbname=db", true},
		{"host=h user=u password='${env:PW}' dbname=db", true},
		{"password=${env:PW}", true},
		{"postgres://${env:PW}@h/db", false},
		{"postgres://u:${env:PW}@${env:PW}.evil.example/db", false},
		{"postgres://u@h/${env:PW}", false},
		{"postgres://u@h/db?options=-c%20search_path%3D${env:PW}", false},
		{"postgres://u@h/db?application_name=${env:PW}", false},
		{"postgres://u@h/db?password=${env:PW}&password=${env:X}", false},
		{"postgres://u:x${env:PW}@h/db", false},
		{"postgres://u@h/db#${env:PW}", false},
		{"host=h user=${env:PW} dbname=db", false},
		{"host=h dbname=db options='-c search_path=${env:PW}'", false},
		{"host=h dbname=db passwordx=${env:PW}", false},
		{"host=h dbname=db password=a${env:PW}", false},
		{"postgres://u:${env:PW@h/db", false},
	} {
		if err := storeDSNRefs(tc.dsn); (err == nil) != tc.ok {
			t.Errorf("storeDSNRefs(%q) = %v, want ok %v", tc.dsn, err, tc.ok)
		}
	}
}
