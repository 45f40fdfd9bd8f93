package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "3b3506f1c2d4e5f60718293a4b5c6d7e8f901234"}, {Key: "vcs.modified", Value: "false"}}
	dirty := []debug.BuildSetting{{Key: "vcs.revision", Value: "3b3506f1c2d4e5f6"}, {Key: "vcs.modified", Value: "true"}}
	for _, tt := range []struct {
		name     string
		info     *debug.BuildInfo
		override string
		want     string
	}{
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}, Settings: vcs}, "", "v1.2.0 (3b3506f1c2d4) go1.26.8"},
		{"pseudo-version", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20260918054303-3b3506f1c2d4+dirty"}, Settings: dirty}, "", "v0.0.0-20260918054303-3b3506f1c2d4+dirty go1.26.8"},
		{"modified tree", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: dirty}, "", "(devel) (3b3506f1c2d4, modified) go1.26.8"},
		{"go run", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "", "(devel) go1.26.8"},
		{"ldflags wins", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "v9.9.9", "v9.9.9 (3b3506f1c2d4) go1.26.8"},
		{"no build info", nil, "", "(devel) " + runtime.Version()},
		{"empty main version", &debug.BuildInfo{GoVersion: "go1.26.8"}, "", "(devel) go1.26.8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatVersion(tt.info, tt.override); got != tt.want {
				t.Errorf("formatVersion = %q, want %q", got, tt.want)
			}
		})
	}
}
