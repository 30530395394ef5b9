package formatter

import (
	"strconv"
	"time"

	"github.com/berthproject/berth/client"
	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/image"
)

const (
	defaultImageTable       = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
	defaultImageTableDigest = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
)

// ImageContext is the rendering context of `images`: Digest is --digests.
type ImageContext struct {
	Context
	Digest bool
}

// NewImageFormat returns the format of `images` for --format source, -q and
// --digests.
func NewImageFormat(source string, quiet, digest bool) Format {
	switch source {
	case TableKey:
		switch {
		case quiet:
			return QuietFormat
		case digest:
			return defaultImageTableDigest
		}
		return defaultImageTable
	case RawKey:
		switch {
		case quiet:
			return `image_id: {{.ID}}`
		case digest:
			return "repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n"
		}
		return "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n"
	}
	f := Format(source)
	if f.IsTable() && digest && !f.Contains("{{.Digest}}") {
		f += "\t{{.Digest}}"
	}
	return f
}

// ImageWrite renders images: one row per repository:tag (and digest when
// asked), "<none>" rows for dangling images.
func ImageWrite(ctx ImageContext, images []image.Summary) error {
	return ctx.Write(newImageHeader(), func(emit func(SubContext) error) error {
		for _, img := range images {
			for _, row := range imageRows(ctx, img) {
				if err := emit(row); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func isDangling(img image.Summary) bool {
	if len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 {
		return true
	}
	return len(img.RepoTags) == 1 && img.RepoTags[0] == "<none>:<none>" && len(img.RepoDigests) == 1 && img.RepoDigests[0] == "<none>@<none>"
}

func imageRows(ctx ImageContext, img image.Summary) []*imageRow {
	row := func(repo, tag, digest string) *imageRow {
		return &imageRow{trunc: ctx.Trunc, i: img, repo: repo, tag: tag, digest: digest}
	}
	if isDangling(img) {
		return []*imageRow{row("<none>", "<none>", "<none>")}
	}
	tags, digests := map[string][]string{}, map[string][]string{}
	var repos []string // first-seen order, so output is stable
	for _, s := range img.RepoTags {
		if ref, err := client.ParseNormalizedNamed(s); err == nil && ref.Tag != "" {
			name := ref.FamiliarName()
			if _, seen := tags[name]; !seen {
				repos = append(repos, name)
			}
			tags[name] = append(tags[name], ref.Tag)
		}
	}
	var digestRepos []string
	for _, s := range img.RepoDigests {
		if ref, err := client.ParseNormalizedNamed(s); err == nil && ref.Digest != "" {
			name := ref.FamiliarName()
			if _, seen := digests[name]; !seen {
				digestRepos = append(digestRepos, name)
			}
			digests[name] = append(digests[name], ref.Digest)
		}
	}
	needDigest := ctx.Digest || ctx.Format.Contains("{{.Digest}}")
	var rows []*imageRow
	for _, repo := range repos {
		ds := digests[repo]
		delete(digests, repo)
		if !needDigest {
			ds = nil
		}
		for _, tag := range tags[repo] {
			if len(ds) == 0 {
				rows = append(rows, row(repo, tag, "<none>"))
			}
			for _, d := range ds {
				rows = append(rows, row(repo, tag, d))
			}
		}
	}
	for _, repo := range digestRepos {
		ds, ok := digests[repo]
		if !ok {
			continue
		}
		if !ctx.Digest {
			rows = append(rows, row(repo, "<none>", ""))
			continue
		}
		for _, d := range ds {
			rows = append(rows, row(repo, "<none>", d))
		}
	}
	return rows
}

type imageRow struct {
	HeaderContext
	trunc             bool
	i                 image.Summary
	repo, tag, digest string
}

func newImageHeader() *imageRow {
	r := &imageRow{}
	r.Header = SubHeaderContext{
		"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
		"CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE", "Containers": "CONTAINERS",
		"VirtualSize": "SIZE", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE",
	}
	return r
}

// MarshalJSON renders the row for `{{json .}}`.
func (r *imageRow) MarshalJSON() ([]byte, error) { return MarshalJSON(r) }

// ID is the image ID, short unless --no-trunc.
func (r *imageRow) ID() string {
	if r.trunc {
		return TruncateID(r.i.ID)
	}
	return r.i.ID
}

// Repository is the familiar repository name or "<none>".
func (r *imageRow) Repository() string { return r.repo }

// Tag is the tag or "<none>".
func (r *imageRow) Tag() string { return r.tag }

// Digest is the repository digest or "<none>".
func (r *imageRow) Digest() string { return r.digest }

// CreatedSince is how long ago the image was created.
func (r *imageRow) CreatedSince() string {
	t := time.Unix(r.i.Created, 0)
	if t.IsZero() {
		return ""
	}
	return units.HumanDuration(time.Now().UTC().Sub(t)) + " ago"
}

// CreatedAt is the creation time in Go's time.String form.
func (r *imageRow) CreatedAt() string { return time.Unix(r.i.Created, 0).String() }

// Size is the image size, human readable.
func (r *imageRow) Size() string { return units.HumanSizeWithPrecision(float64(r.i.Size), 3) }

// Containers counts the containers using the image ("N/A" when unknown).
func (r *imageRow) Containers() string {
	if r.i.Containers == -1 {
		return "N/A"
	}
	return strconv.FormatInt(r.i.Containers, 10)
}

// VirtualSize is the deprecated alias of Size.
func (r *imageRow) VirtualSize() string { return units.HumanSize(float64(r.i.Size)) }

// SharedSize is the size shared with other images.
func (r *imageRow) SharedSize() string {
	if r.i.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(r.i.SharedSize))
}

// UniqueSize is the size only this image uses.
func (r *imageRow) UniqueSize() string {
	if r.i.Size == -1 || r.i.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(r.i.Size - r.i.SharedSize))
}
