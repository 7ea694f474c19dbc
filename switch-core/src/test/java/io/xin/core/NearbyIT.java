package io.xin.core;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.xin.core.TestDevices.Device;
import io.xin.protocol.pb.DistanceBand;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.NearbyResult;
import io.xin.protocol.pb.NearbyUser;
import io.xin.protocol.pb.ShakeResult;
import io.xin.protocol.pb.ShakeState;
import io.xin.social.nearby.Cells;
import io.xin.social.nearby.DistanceBands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static io.xin.core.TestDevices.assertRefused;
import static io.xin.core.TestDevices.await;
import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * People nearby and shake end to end over real sockets with the real client: bands, blocks both ways, leave, a
 * shake paired and one expired; and afterwards not one reported coordinate anywhere in the data directory (as
 * text, or as the bytes of a double either way round) nor in anything logged, at TRACE, by the switch and
 * the clients meanwhile.
 */
@Timeout(120)
class NearbyIT
{
    /** Coordinates with decimals that nothing else would print. */
    private static final double[][] PLACES = {
        { 31.2304167, 121.4737011 },   // user 1
        { 31.2391357, 121.4805679 },   // user 2, about a kilometre away
        { 31.2957913, 121.5201357 },   // user 3, about 8 km away
        { 31.2309753, 121.4741531 },   // user 4, next door, has blocked user 1
    };

    @TempDir
    Path dir;
    private TestSwitch server;
    private TestDevices clients;

    @AfterEach
    void tearDown()
    {
        if (clients != null)
        {
            clients.close();
        }
        if (server != null)
        {
            server.close();
        }
    }

    @Test
    void shouldServePeopleNearbyAndShakeAndKeepNoCoordinateOnDiskOrInLogs() throws Exception
    {
        final ch.qos.logback.classic.Logger root =
            (ch.qos.logback.classic.Logger)LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        final Level rootLevel = root.getLevel();
        final ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        root.setLevel(Level.TRACE);
        try
        {
            server = new TestSwitch(dir.resolve("data"), ctx -> ctx
                .shake(500, 0)
                .blockCheck((blocker, blocked) -> blocker == 4 && blocked == 1));
            clients = new TestDevices(server);
            final List<Device> users = new ArrayList<>();
            for (int user = 1; user <= PLACES.length; user++)
            {
                users.add(clients.connect(user, "phone"));
            }
            for (int i = 0; i < users.size(); i++)
            {
                final NearbyResult reported = await(users.get(i).client.reportLocation(PLACES[i][0], PLACES[i][1]));
                assertTrue(reported.getExpiresAtMs() > System.currentTimeMillis() + 29 * 60_000);
                assertEquals(0, reported.getUsersCount());
            }
            // Something in the store too: messages between the users.
            await(users.get(0).client.send(2, text("see you at the corner")));

            // User 1 sees 2 and 3 with their bands; not 4, who blocked 1; and 4 does not see 1.
            final NearbyResult seenBy1 = await(users.get(0).client.nearby(0, 0));
            assertEquals(List.of(2L, 3L), ids(seenBy1));
            assertEquals(List.of(band(0, 1), band(0, 2)), bands(seenBy1));
            assertEquals(DistanceBand.WITHIN_10_KM, seenBy1.getUsers(1).getBand());
            assertEquals(0, seenBy1.getNextOffset());
            assertEquals(List.of(2L, 3L), ids(await(users.get(3).client.nearby(0, 0))));
            // Paged: one at a time.
            final NearbyResult first = await(users.get(1).client.nearby(0, 1));
            assertEquals(1, first.getUsersCount());
            assertEquals(1, first.getNextOffset());
            final NearbyResult second = await(users.get(1).client.nearby(first.getNextOffset(), 1));
            assertEquals(2, second.getNextOffset());

            // Two shake together at their places: paired, with the band between them.
            final CompletableFuture<ShakeResult> shake1 = users.get(0).client.shake(PLACES[0][0], PLACES[0][1]);
            final CompletableFuture<ShakeResult> shake2 = users.get(1).client.shake(PLACES[1][0], PLACES[1][1]);
            final ShakeResult matched1 = await(shake1);
            final ShakeResult matched2 = await(shake2);
            assertEquals(ShakeState.SHAKE_MATCHED, matched1.getState());
            assertEquals(2, matched1.getUserId());
            assertEquals(1, matched2.getUserId());
            assertEquals(band(0, 1), matched1.getBand());
            assertEquals(matched1.getBand(), matched2.getBand());
            // One alone: expired after the window.
            assertEquals(ShakeState.SHAKE_EXPIRED, await(users.get(2).client.shake()).getState());

            // Opting out takes effect at once; querying needs a location of one's own.
            await(users.get(1).client.leaveNearby());
            assertEquals(List.of(3L), ids(await(users.get(0).client.nearby(0, 0))));
            assertRefused(ErrorCode.BAD_REQUEST, users.get(1).client.nearby(0, 0));
            assertRefused(ErrorCode.LOCATION_REFUSED, users.get(1).client.reportLocation(95, 0));

            clients.closeClients();
            server.close();
            server = null;
        }
        finally
        {
            root.setLevel(rootLevel);
            root.detachAppender(logs);
        }

        final List<String> leaks = new ArrayList<>();
        final StringBuilder logged = new StringBuilder();
        for (final ILoggingEvent event : logs.list)
        {
            logged.append(event.getFormattedMessage()).append('\n');
            if (event.getThrowableProxy() != null)
            {
                logged.append(ThrowableProxyUtil.asString(event.getThrowableProxy())).append('\n');
            }
        }
        assertTrue(logged.indexOf("Xin switch listening") >= 0, "the logs were captured");
        for (final double[] place : PLACES)
        {
            for (final double coordinate : place)
            {
                for (final String text : texts(coordinate))
                {
                    if (logged.indexOf(text) >= 0)
                    {
                        leaks.add("log: " + text);
                    }
                }
            }
        }
        int files = 0;
        try (Stream<Path> walk = Files.walk(dir))
        {
            for (final Path file : (Iterable<Path>)walk.filter(Files::isRegularFile)::iterator)
            {
                files++;
                final byte[] content = Files.readAllBytes(file);
                for (final double[] place : PLACES)
                {
                    for (final double coordinate : place)
                    {
                        for (final byte[] pattern : patterns(coordinate))
                        {
                            if (indexOf(content, pattern) >= 0)
                            {
                                leaks.add(dir.relativize(file) + ": " + coordinate);
                            }
                        }
                    }
                }
            }
        }
        assertTrue(files > 5, "the store's files were searched: " + files);
        assertEquals(List.of(), leaks);
    }

    @Test
    void shouldRefusePeopleNearbyAndShakeInClusterMode() throws Exception
    {
        // A placement makes the switch a node of a cluster (this one serves every user).
        server = new TestSwitch(dir.resolve("data"), ctx -> ctx.placement(userId -> null));
        clients = new TestDevices(server);
        final Device device = clients.connect(1, "phone");
        assertRefused(ErrorCode.NOT_ALLOWED, device.client.reportLocation(PLACES[0][0], PLACES[0][1]));
        assertRefused(ErrorCode.NOT_ALLOWED, device.client.nearby(0, 0));
        assertRefused(ErrorCode.NOT_ALLOWED, device.client.shake());
    }

    private static DistanceBand band(final int from, final int to)
    {
        final long a = Cells.cellOf(PLACES[from][0], PLACES[from][1], 9);
        final long b = Cells.cellOf(PLACES[to][0], PLACES[to][1], 9);
        return DistanceBand.forNumber(DistanceBands.band(Cells.centreDistanceKm(a, b)));
    }

    private static List<Long> ids(final NearbyResult result)
    {
        return result.getUsersList().stream().map(NearbyUser::getUserId).toList();
    }

    private static List<DistanceBand> bands(final NearbyResult result)
    {
        return result.getUsersList().stream().map(NearbyUser::getBand).toList();
    }

    /** How a coordinate could be written as text: as given, as Java prints it, and to five decimals. */
    private static List<String> texts(final double coordinate)
    {
        return List.of(Double.toString(coordinate), String.format(Locale.ROOT, "%.5f", coordinate),
            Float.toString((float)coordinate));
    }

    /**
     * The texts, and the eight bytes of the double in both byte orders (protobuf writes little-endian). Not a
     * float's four bytes: those would turn up by chance in megabytes of store files.
     */
    private static List<byte[]> patterns(final double coordinate)
    {
        final List<byte[]> patterns = new ArrayList<>();
        for (final String text : texts(coordinate))
        {
            patterns.add(text.getBytes(StandardCharsets.UTF_8));
        }
        for (final ByteOrder order : new ByteOrder[]{ ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN })
        {
            patterns.add(ByteBuffer.allocate(8).order(order).putDouble(coordinate).array());
        }
        return patterns;
    }

    private static int indexOf(final byte[] content, final byte[] pattern)
    {
        outer:
        for (int i = 0; i <= content.length - pattern.length; i++)
        {
            for (int j = 0; j < pattern.length; j++)
            {
                if (content[i + j] != pattern[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
