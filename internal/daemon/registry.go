package daemon

import (
	"fmt"
	"net/netip"
	"runtime"
	"slices"

	"github.com/berthproject/berth/internal/config"
	"github.com/berthproject/berth/internal/distribution"
	"github.com/berthproject/berth/internal/remote"
	"github.com/moby/moby/api/types/registry"
)

// registryAccess builds the registry client and the pull/push service
// from the configuration, and the registry section of `docker info`.
func registryAccess(cfg config.Config, imgs *images) (*distribution.Service, *registry.ServiceConfig, error) {
	insecure := append(slices.Clone(cfg.InsecureRegistries), config.DefaultInsecureRegistries...)
	client, err := remote.New(remote.Options{
		Mirrors: cfg.RegistryMirrors, Insecure: insecure, CertsDirs: config.CertsDirs,
		UserAgent: fmt.Sprintf("berth/%s go/%s os/%s arch/%s", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH),
	})
	if err != nil {
		return nil, nil, err
	}
	dist := distribution.New(imgs.store, imgs.content, client, distribution.Options{
		MaxConcurrentDownloads: cfg.MaxConcurrentDownloads, MaxConcurrentUploads: cfg.MaxConcurrentUploads,
	})
	return dist, serviceConfig(cfg, insecure), nil
}

// serviceConfig is what `docker info` shows of the registry settings.
func serviceConfig(cfg config.Config, insecure []string) *registry.ServiceConfig {
	sc := &registry.ServiceConfig{
		IndexConfigs: map[string]*registry.IndexInfo{
			remote.DockerHub: {Name: remote.DockerHub, Mirrors: nonNil(cfg.RegistryMirrors), Secure: true, Official: true},
		},
		Mirrors: nonNil(cfg.RegistryMirrors),
	}
	for _, r := range insecure {
		if p, err := netip.ParsePrefix(r); err == nil {
			sc.InsecureRegistryCIDRs = append(sc.InsecureRegistryCIDRs, p.Masked())
			continue
		}
		sc.IndexConfigs[r] = &registry.IndexInfo{Name: r, Mirrors: []string{}}
	}
	return sc
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
