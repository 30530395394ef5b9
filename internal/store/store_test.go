package store

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/berthproject/berth/errdefs"
)

type rec struct{ Name string }

func TestPutGetDeleteReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "berth.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("containers", "a", rec{"one"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("containers", "b", rec{"two"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("containers", "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("nobucket", "x"); err != nil {
		t.Fatalf("delete from missing bucket: %v", err)
	}
	s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got rec
	if err := s.Get("containers", "a", &got); err != nil || got.Name != "one" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := s.Get("containers", "b", &got); !errdefs.IsNotFound(err) {
		t.Fatalf("Get deleted = %v, want NotFound", err)
	}
	var keys []string
	err = s.ForEach("containers", func(k string, data []byte) error {
		var r rec
		keys = append(keys, k)
		return json.Unmarshal(data, &r)
	})
	if err != nil || len(keys) != 1 || keys[0] != "a" {
		t.Fatalf("ForEach keys = %v, %v", keys, err)
	}
}
