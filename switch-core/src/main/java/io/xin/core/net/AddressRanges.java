package io.xin.core.net;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A list of IPv4 and IPv6 address ranges in CIDR notation ({@code 198.51.100.0/24}, {@code 2001:db8::/32}; a bare
 * address is a range of one), immutable, read by any thread. Parsed without name resolution: only literal
 * addresses. An IPv4-mapped IPv6 address ({@code ::ffff:198.51.100.1}, as a dual-stack socket may report an IPv4
 * peer) matches the IPv4 ranges.
 */
public final class AddressRanges
{
    private static final int IPV4_BYTES = 4;
    private static final int IPV6_BYTES = 16;
    private static final int MAPPED_PREFIX_BYTES = 12;

    /** Network bytes and prefix length of each range, side by side. */
    private final byte[][] networks;
    private final int[] prefixLengths;
    private final String text;

    private AddressRanges(final byte[][] networks, final int[] prefixLengths, final String text)
    {
        this.networks = networks;
        this.prefixLengths = prefixLengths;
        this.text = text;
    }

    /**
     * @param list ranges separated by commas or white space, e.g. {@code "198.51.100.0/24, 2001:db8::/32, 192.0.2.7"}.
     * @return the ranges.
     * @throws IllegalArgumentException when the list is empty, or a range is not a literal address with an
     *                                  optional prefix length in range and no bits set past it.
     */
    public static AddressRanges parse(final String list)
    {
        final List<byte[]> networks = new ArrayList<>();
        final List<Integer> prefixLengths = new ArrayList<>();
        final List<String> ranges = new ArrayList<>();
        for (final String range : (list == null ? "" : list.trim()).split("[,\\s]+"))
        {
            if (range.isEmpty())
            {
                continue;
            }
            final int slash = range.indexOf('/');
            final String address = slash < 0 ? range : range.substring(0, slash);
            final byte[] network = NetUtil.createByteArrayFromIpAddressString(address);
            if (network == null || address.indexOf('%') >= 0)
            {
                throw new IllegalArgumentException("not an IPv4 or IPv6 address: " + range);
            }
            final int bits = network.length * 8;
            final int prefixLength;
            try
            {
                prefixLength = slash < 0 ? bits : Integer.parseInt(range.substring(slash + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not a prefix length: " + range);
            }
            if (prefixLength < 0 || prefixLength > bits)
            {
                throw new IllegalArgumentException("prefix length must be 0.." + bits + ": " + range);
            }
            for (int bit = prefixLength; bit < bits; bit++)
            {
                if ((network[bit >> 3] & (0x80 >> (bit & 7))) != 0)
                {
                    // 198.51.100.1/8 is more likely a mistyped /32 than a wish to allow 198/8: refuse rather than guess.
                    throw new IllegalArgumentException("address bits set past the prefix length: " + range);
                }
            }
            networks.add(network);
            prefixLengths.add(prefixLength);
            ranges.add(range);
        }
        if (networks.isEmpty())
        {
            throw new IllegalArgumentException("no address range given");
        }
        return new AddressRanges(networks.toArray(new byte[0][]),
            prefixLengths.stream().mapToInt(Integer::intValue).toArray(), String.join(",", ranges));
    }

    /**
     * @param address a socket's peer.
     * @return true when it is an IP address within one of the ranges; false for anything else.
     */
    public boolean contains(final SocketAddress address)
    {
        return address instanceof InetSocketAddress socketAddress && contains(socketAddress.getAddress());
    }

    /**
     * @param address an IP address, or null.
     * @return true when it is within one of the ranges.
     */
    public boolean contains(final InetAddress address)
    {
        if (address == null)
        {
            return false;
        }
        byte[] bytes = address.getAddress();
        if (bytes.length == IPV6_BYTES && isIpv4Mapped(bytes))
        {
            final byte[] ipv4 = new byte[IPV4_BYTES];
            System.arraycopy(bytes, MAPPED_PREFIX_BYTES, ipv4, 0, IPV4_BYTES);
            bytes = ipv4;
        }
        for (int i = 0; i < networks.length; i++)
        {
            if (networks[i].length == bytes.length && matches(networks[i], prefixLengths[i], bytes))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(final byte[] network, final int prefixLength, final byte[] address)
    {
        final int wholeBytes = prefixLength >> 3;
        for (int i = 0; i < wholeBytes; i++)
        {
            if (network[i] != address[i])
            {
                return false;
            }
        }
        final int restBits = prefixLength & 7;
        if (restBits == 0)
        {
            return true;
        }
        final int mask = (0xFF << (8 - restBits)) & 0xFF;
        return (network[wholeBytes] & mask) == (address[wholeBytes] & mask);
    }

    private static boolean isIpv4Mapped(final byte[] address)
    {
        for (int i = 0; i < 10; i++)
        {
            if (address[i] != 0)
            {
                return false;
            }
        }
        return address[10] == (byte)0xFF && address[11] == (byte)0xFF;
    }

    /** @return the ranges as given, separated by commas. */
    @Override
    public String toString()
    {
        return text;
    }
}
