package io.xin.core.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class AddressRangesTest
{
    @Test
    void shouldMatchIpv4RangesOnTheirPrefixOnly()
    {
        final AddressRanges ranges = AddressRanges.parse("198.51.100.0/24, 192.0.2.7,203.0.0.0/12");
        assertTrue(ranges.contains(ip("198.51.100.0")));
        assertTrue(ranges.contains(ip("198.51.100.255")));
        assertFalse(ranges.contains(ip("198.51.101.1")));
        assertFalse(ranges.contains(ip("198.51.99.255")));
        assertTrue(ranges.contains(ip("192.0.2.7")));
        assertFalse(ranges.contains(ip("192.0.2.6")));
        assertFalse(ranges.contains(ip("192.0.2.8")));
        assertTrue(ranges.contains(ip("203.0.0.1")));
        assertTrue(ranges.contains(ip("203.15.255.254")), "/12 ends inside the second byte");
        assertFalse(ranges.contains(ip("203.16.0.1")));
        assertFalse(ranges.contains(ip("202.255.255.255")));
        assertEquals("198.51.100.0/24,192.0.2.7,203.0.0.0/12", ranges.toString());
    }

    @Test
    void shouldMatchIpv6RangesAndKeepTheFamiliesApart()
    {
        final AddressRanges ranges = AddressRanges.parse("2001:db8:0:100::/56,::1");
        assertTrue(ranges.contains(ip("2001:db8:0:100::1")));
        assertTrue(ranges.contains(ip("2001:db8:0:1ff:ffff::")));
        assertFalse(ranges.contains(ip("2001:db8:0:200::1")));
        assertTrue(ranges.contains(ip("::1")));
        assertFalse(ranges.contains(ip("::2")));
        assertFalse(ranges.contains(ip("127.0.0.1")), "::1 is not IPv4 loopback");
        assertFalse(AddressRanges.parse("0.0.0.0/0").contains(ip("::1")), "an IPv4 range never matches IPv6");
        assertTrue(AddressRanges.parse("::/0").contains(ip("2001:db8::1")));
    }

    @Test
    void shouldMatchAnIpv4MappedIpv6PeerAgainstTheIpv4Ranges() throws UnknownHostException
    {
        final AddressRanges ranges = AddressRanges.parse("198.51.100.0/24");
        // InetAddress.getByAddress turns a mapped address into IPv4; a native transport may hand over the IPv6 form.
        final byte[] mapped = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)0xFF, (byte)0xFF, (byte)198, 51, 100, 9 };
        assertTrue(ranges.contains(java.net.Inet6Address.getByAddress(null, mapped, -1)));
        mapped[14] = 101;
        assertFalse(ranges.contains(java.net.Inet6Address.getByAddress(null, mapped, -1)));
    }

    @Test
    void shouldMatchTheDefaultLoopbackRangesOnly()
    {
        final AddressRanges ranges = AddressRanges.parse(io.xin.core.Configuration.DEFAULT_PROXY_ALLOWED_SOURCES);
        assertTrue(ranges.contains(new InetSocketAddress(ip("127.0.0.1"), 40000)));
        assertTrue(ranges.contains(new InetSocketAddress(ip("127.255.0.9"), 40000)));
        assertTrue(ranges.contains(new InetSocketAddress(ip("::1"), 40000)));
        assertFalse(ranges.contains(new InetSocketAddress(ip("198.51.100.1"), 40000)));
        assertFalse(ranges.contains(new InetSocketAddress(ip("128.0.0.1"), 40000)));
        assertFalse(ranges.contains(new io.netty.channel.local.LocalAddress("in-jvm")), "not an IP peer");
        assertFalse(ranges.contains((InetAddress)null));
    }

    @ParameterizedTest
    @ValueSource(strings = { "", " , ", "198.51.100.0/33", "::/129", "198.51.100.0/-1", "198.51.100.0/x", "198.51.100.1/8",
        "2001:db8::1/32", "balancer.example", "198.51.100", "fe80::1%eth0", "198.51.100.0/24,nope" })
    void shouldRefuseWhatIsNotAListOfRanges(final String list)
    {
        assertThrows(IllegalArgumentException.class, () -> AddressRanges.parse(list));
    }

    private static InetAddress ip(final String literal)
    {
        try
        {
            // A literal: no name is looked up.
            return InetAddress.getByName(literal);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(literal, ex);
        }
    }
}
