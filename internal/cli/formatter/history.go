package formatter

import (
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/image"
)

const (
	defaultHistoryTable  = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
	nonHumanHistoryTable = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
)

// NewHistoryFormat returns the format of `history` for --format, -q and -H.
func NewHistoryFormat(source string, quiet, human bool) Format {
	if source == TableKey {
		switch {
		case quiet:
			return QuietFormat
		case !human:
			return nonHumanHistoryTable
		}
		return defaultHistoryTable
	}
	return Format(source)
}

// HistoryWrite renders an image's history.
func HistoryWrite(ctx Context, human bool, items []image.HistoryResponseItem) error {
	header := &historyRow{}
	header.Header = SubHeaderContext{
		"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
		"CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT",
	}
	return ctx.Write(header, func(emit func(SubContext) error) error {
		for _, h := range items {
			if err := emit(&historyRow{trunc: ctx.Trunc, human: human, h: h}); err != nil {
				return err
			}
		}
		return nil
	})
}

type historyRow struct {
	HeaderContext
	trunc, human bool
	h            image.HistoryResponseItem
}

// MarshalJSON renders the row for `{{json .}}`.
func (r *historyRow) MarshalJSON() ([]byte, error) { return MarshalJSON(r) }

// ID is the layer's image ID ("<missing>" for layers without one).
func (r *historyRow) ID() string {
	if r.trunc {
		return TruncateID(r.h.ID)
	}
	return r.h.ID
}

// CreatedAt is the creation time in RFC 3339.
func (r *historyRow) CreatedAt() string { return time.Unix(r.h.Created, 0).Format(time.RFC3339) }

var epoch2000 = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

// CreatedSince is how long ago the layer was made ("N/A" before 2000).
func (r *historyRow) CreatedSince() string {
	if !r.human {
		return r.CreatedAt()
	}
	if r.h.Created <= epoch2000 {
		return "N/A"
	}
	return units.HumanDuration(time.Now().UTC().Sub(time.Unix(r.h.Created, 0))) + " ago"
}

// CreatedBy is the instruction that made the layer, cut to 45 columns.
func (r *historyRow) CreatedBy() string {
	s := strings.ReplaceAll(r.h.CreatedBy, "\t", " ")
	if r.trunc {
		return Ellipsis(s, 45)
	}
	return s
}

// Size is the layer size.
func (r *historyRow) Size() string {
	if r.human {
		return units.HumanSizeWithPrecision(float64(r.h.Size), 3)
	}
	return strconv.FormatInt(r.h.Size, 10)
}

// Comment is the layer comment.
func (r *historyRow) Comment() string { return r.h.Comment }
