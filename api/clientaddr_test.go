package api

import (
	"net/netip"
	"testing"
)

// The client's address comes from X-Forwarded-For only through a trusted hop, and a client cannot
// pick its own by sending the header.
func TestResolveClient_ForwardedForOnlyThroughTrustedProxies(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, c := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct client, header ignored", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"through a trusted proxy", "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed entry before the real client", "10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted hops", "10.1.2.3:5000", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"several header lines", "10.1.2.3:5000", []string{"6.6.6.6", "198.51.100.1"}, "198.51.100.1"},
		{"malformed hop", "10.1.2.3:5000", []string{"not-an-ip"}, "10.1.2.3"},
		{"only trusted hops", "10.1.2.3:5000", []string{"10.4.4.4"}, "10.1.2.3"},
		{"IPv6 through a trusted proxy", "[fd00::1]:5000", []string{"2001:db8:1:2::99"}, "2001:db8:1:2::99"},
	} {
		if got := resolveClient(c.peer, c.xff, trusted); got != c.want {
			t.Errorf("%s: %s; want %s", c.name, got, c.want)
		}
	}
	if got := resolveClient("10.1.2.3:5000", []string{"198.51.100.1"}, nil); got != "10.1.2.3" {
		t.Errorf("no trusted proxies: %s; want the peer", got)
	}
}

// IPv6 clients are counted by their /64, so one subscriber cannot multiply its limit by changing
// the low bits; IPv4 clients by their address.
func TestRateKey_GroupsIPv6By64(t *testing.T) {
	t.Parallel()
	if a, b := rateKey("2001:db8:1:2::1"), rateKey("2001:db8:1:2:ffff::9"); a != b {
		t.Errorf("one /64 gave keys %s and %s", a, b)
	}
	if a, b := rateKey("2001:db8:1:2::1"), rateKey("2001:db8:1:3::1"); a == b {
		t.Errorf("two /64s share key %s", a)
	}
	if a, b := rateKey("203.0.113.1"), rateKey("203.0.113.2"); a == b {
		t.Errorf("two IPv4 addresses share key %s", a)
	}
}
