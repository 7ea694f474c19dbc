package io.xin.client;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Seed rotation and the addresses a MOVED or Kicked{moved} names. */
class SeedsTest
{
    @Test
    void shouldGoRoundTheSeeds()
    {
        assertEquals(1, ClientConductor.nextSeed(0, 3));
        assertEquals(2, ClientConductor.nextSeed(1, 3));
        assertEquals(0, ClientConductor.nextSeed(2, 3));
        assertEquals(0, ClientConductor.nextSeed(0, 1), "one seed: always it");
    }

    @Test
    void shouldParseHostPortAndBracketedIpv6()
    {
        assertArrayEquals(new Object[]{ "node-2.example", 7800 }, ClientConductor.parseAddress("node-2.example:7800"));
        assertArrayEquals(new Object[]{ "127.0.0.1", 1 }, ClientConductor.parseAddress("127.0.0.1:1"));
        assertArrayEquals(new Object[]{ "2001:db8::1", 7800 }, ClientConductor.parseAddress("[2001:db8::1]:7800"));
    }

    @Test
    void shouldTakeNoAddressFromEmptyOrMalformedOnes()
    {
        for (final String bad : List.of("", "node", "node:", ":7800", "node:0", "node:65536", "node:x",
            "2001:db8::1:7800", "[]:7800"))
        {
            assertNull(ClientConductor.parseAddress(bad), bad);
        }
    }

    @Test
    void shouldTakeAddressesOrHostAndPort()
    {
        final XinClient.Builder builder = XinClient.builder().token("t").deviceId("d");
        assertThrows(IllegalArgumentException.class, builder::build, "neither");
        assertThrows(IllegalArgumentException.class, () -> builder.addresses(List.of()).build(), "no seed");
        builder.addresses(List.of(InetSocketAddress.createUnresolved("a.example", 7800),
            InetSocketAddress.createUnresolved("b.example", 7801)));
        assertEquals(2, builder.seeds().size());
        builder.build().close();
        final XinClient.Builder single = XinClient.builder().token("t").deviceId("d").host("c.example").port(7802);
        assertEquals(List.of(InetSocketAddress.createUnresolved("c.example", 7802)), single.seeds());
    }
}
