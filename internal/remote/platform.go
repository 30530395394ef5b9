package remote

import (
	"runtime"
	"strings"

	"github.com/berthproject/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultPlatform is the platform pulled when none is asked for: the
// host's.
func DefaultPlatform() ocispec.Platform {
	return NormalizePlatform(ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH})
}

// NormalizePlatform spells a platform the way indexes do: architecture
// aliases resolved (x86_64 → amd64, aarch64 → arm64), arm64's default
// variant v8 dropped and arm's default variant v7 filled in.
func NormalizePlatform(p ocispec.Platform) ocispec.Platform {
	p.OS = strings.ToLower(p.OS)
	arch, variant := strings.ToLower(p.Architecture), strings.ToLower(p.Variant)
	switch arch {
	case "x86_64", "x86-64":
		arch = "amd64"
	case "i386":
		arch = "386"
	case "aarch64", "arm64":
		arch = "arm64"
		if variant == "8" || variant == "v8" {
			variant = ""
		}
	case "armhf":
		arch, variant = "arm", "v7"
	case "armel":
		arch, variant = "arm", "v6"
	case "arm":
		switch variant {
		case "", "7":
			variant = "v7"
		case "5", "6", "8":
			variant = "v" + variant
		}
	}
	p.Architecture, p.Variant = arch, variant
	return p
}

// FormatPlatform writes a platform as os/arch[/variant].
func FormatPlatform(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// MatchPlatform reports whether an index entry's platform have serves
// want; an entry without variant serves any variant of its architecture.
func MatchPlatform(want, have ocispec.Platform) bool {
	w, h := NormalizePlatform(want), NormalizePlatform(have)
	if w.OS != h.OS || w.Architecture != h.Architecture {
		return false
	}
	return w.Variant == h.Variant || h.Variant == "" || w.Variant == ""
}

// PickPlatform returns the entry of an index for want: an exact match
// (variant included) first, then a compatible one. None is ErrNotFound
// with Docker's message.
func PickPlatform(idx ocispec.Index, want ocispec.Platform) (ocispec.Descriptor, error) {
	w := NormalizePlatform(want)
	var compatible *ocispec.Descriptor
	for i, m := range idx.Manifests {
		if m.Platform == nil || !MatchPlatform(w, *m.Platform) {
			continue
		}
		if NormalizePlatform(*m.Platform).Variant == w.Variant {
			return m, nil
		}
		if compatible == nil {
			compatible = &idx.Manifests[i]
		}
	}
	if compatible != nil {
		return *compatible, nil
	}
	shown := w
	if shown.Architecture == "arm64" && shown.Variant == "" {
		shown.Variant = "v8"
	}
	return ocispec.Descriptor{}, errdefs.Errorf(errdefs.ErrNotFound, "no matching manifest for %s in the manifest list entries", FormatPlatform(shown))
}
