package inmemory_test

import (
	"testing"

	"github.com/berthproject/berth/internal/registry/storage/driver"
	"github.com/berthproject/berth/internal/registry/storage/driver/inmemory"
	"github.com/berthproject/berth/internal/registry/storage/driver/testsuite"
)

func TestSuite(t *testing.T) {
	testsuite.Run(t, func(t *testing.T) driver.Driver { return inmemory.New() })
}
