package io.xin.core;

import io.xin.core.media.MediaKeys;
import io.xin.media.LocalMediaStore;
import io.xin.media.MediaLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry of settings: every default passes its own range, every setter of {@link XinSwitch.Context} is a
 * setting of the registry (or a named hook), and an invalid value is refused with the setting it is about.
 */
class SettingTest
{
    /** Setters of the Context that set two settings at once. */
    private static final Map<String, List<Setting>> PAIRED_SETTERS = Map.of(
        "writeBufferWaterMarks", List.of(
            Setting.WRITE_BUFFER_LOW_WATER_MARK_BYTES, Setting.WRITE_BUFFER_HIGH_WATER_MARK_BYTES),
        "tls", List.of(Setting.TLS_CERT, Setting.TLS_KEY),
        "sendRateLimit", List.of(Setting.MAX_SENDS_PER_SECOND_PER_SESSION, Setting.SEND_BURST_PER_SESSION),
        "channelPushPace", List.of(Setting.CHANNEL_PUSHES_PER_SECOND, Setting.CHANNEL_PUSH_CHUNK),
        "nearbyRateLimits", List.of(Setting.NEARBY_REPORTS_PER_MINUTE, Setting.NEARBY_QUERIES_PER_MINUTE),
        "shake", List.of(Setting.SHAKE_WINDOW_MS, Setting.SHAKE_MAX_DISTANCE_M),
        // The typed spelling of ring-threads-per-shard: RingThreads.ONE_THREAD or TWO_THREADS.
        "ringThreads", List.of(Setting.RING_THREADS_PER_SHARD));
    /** Setters of the Context for embedding programs and tests, not settings of a switch's operator. */
    private static final Set<String> HOOKS = Set.of(
        "clock", "journalWriter", "localTransport", "placement", "replicatedShards", "media", "blockCheck",
        "socialFeed");

    private static XinSwitch.Context context()
    {
        return new XinSwitch.Context().dataDir(Path.of("unused")).jwtSecret(TestSwitch.SECRET);
    }

    @Test
    void shouldHaveDefaultsWithinTheirOwnRanges()
    {
        for (final Setting setting : Setting.values())
        {
            if (setting.defaultValue() != null)
            {
                assertNull(setting.range().violation(setting.defaultValue()), setting + " default " + setting.defaultValue());
                assertEquals(boxed(setting.type()), setting.defaultValue().getClass(), setting + " default's type");
            }
        }
    }

    @Test
    void shouldStartAContextFromTheRegistrysDefaults()
    {
        final XinSwitch.Context ctx = new XinSwitch.Context();
        for (final Setting setting : Setting.values())
        {
            if (setting.inContext())
            {
                assertEquals(setting.defaultValue(), setting.valueIn(ctx), setting.toString());
            }
        }
        assertEquals(Configuration.DEFAULT_PORT, ctx.port());
        assertEquals(Configuration.DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK_BYTES, ctx.writeBufferHighWaterMarkBytes());
        assertDoesNotThrow(() -> context().conclude());
    }

    @Test
    void shouldHaveARegistryEntryForEveryContextSetter()
    {
        final Set<String> registered = new HashSet<>();
        for (final Setting setting : Setting.values())
        {
            registered.add(setting.contextName());
        }
        for (final Method method : XinSwitch.Context.class.getDeclaredMethods())
        {
            if (Modifier.isPublic(method.getModifiers()) && method.getReturnType() == XinSwitch.Context.class &&
                method.getParameterCount() > 0)
            {
                final String name = method.getName();
                assertTrue(registered.contains(name) || PAIRED_SETTERS.containsKey(name) || HOOKS.contains(name),
                    "Context." + name + " sets no setting of the registry: add it to io.xin.core.Setting");
            }
        }
        for (final List<Setting> paired : PAIRED_SETTERS.values())
        {
            for (final Setting setting : paired)
            {
                assertTrue(setting.inContext(), setting.toString());
            }
        }
    }

    @Test
    void shouldSetAndReadEverySettingThroughItsBinding()
    {
        final XinSwitch.Context ctx = new XinSwitch.Context();
        Setting.PORT.apply(ctx, 7_123);
        Setting.WRITE_BUFFER_HIGH_WATER_MARK_BYTES.apply(ctx, 100_000);
        Setting.WRITE_BUFFER_LOW_WATER_MARK_BYTES.apply(ctx, 50_000);
        Setting.HASH_MEMTABLE.apply(ctx, false);

        assertEquals(7_123, ctx.port());
        assertEquals(50_000, ctx.writeBufferLowWaterMarkBytes());
        assertEquals(100_000, ctx.writeBufferHighWaterMarkBytes());
        assertFalse(ctx.hashMemtable());
    }

    @Test
    void shouldNameTheSettingOfAValueOutOfItsRange()
    {
        final ConfigurationException refused =
            assertThrows(ConfigurationException.class, () -> context().maxFrameLengthBytes(12).conclude());

        assertSame(Setting.MAX_FRAME_LENGTH_BYTES, refused.setting());
        assertEquals("maxFrameLengthBytes must be at least 256: 12", refused.getMessage());
    }

    @Test
    void shouldNameTheSettingOfARuleBetweenTwoSettings()
    {
        final ConfigurationException refused = assertThrows(ConfigurationException.class,
            () -> context().maxFrameLengthBytes(1024).maxPreLoginFrameLengthBytes(2048).conclude());

        assertSame(Setting.MAX_PRE_LOGIN_FRAME_LENGTH_BYTES, refused.setting());
        assertTrue(refused.getMessage().startsWith("maxPreLoginFrameLengthBytes"), refused.getMessage());
    }

    @Test
    void shouldRefuseARingSizeThatIsNotAPowerOfTwo()
    {
        final ConfigurationException refused =
            assertThrows(ConfigurationException.class, () -> context().ringSize(1000).conclude());

        assertSame(Setting.RING_SIZE, refused.setting());
        assertEquals("ringSize must be a power of two: 1000", refused.getMessage());
    }

    @Test
    void shouldRefuseAWordOutsideItsList()
    {
        final ConfigurationException refused =
            assertThrows(ConfigurationException.class, () -> context().transport("kqueue").conclude());

        assertSame(Setting.TRANSPORT, refused.setting());
        assertEquals("transport must be one of auto, io_uring, epoll, nio: kqueue", refused.getMessage());
        assertDoesNotThrow(() -> context().transport("EPOLL").conclude());
    }

    @Test
    void shouldRequireADataDirectory()
    {
        final ConfigurationException refused = assertThrows(ConfigurationException.class,
            () -> new XinSwitch.Context().jwtSecret(TestSwitch.SECRET).conclude());

        assertSame(Setting.DATA_DIR, refused.setting());
        assertEquals("dataDir must be set", refused.getMessage());
    }

    @Test
    void shouldFindASettingByItsKeyAndSpellItsContextName()
    {
        assertSame(Setting.MAX_IN_FLIGHT_SENDS, Setting.forKey("max-in-flight-sends"));
        assertEquals("maxInFlightSendsPerSession", Setting.MAX_IN_FLIGHT_SENDS.contextName());
        assertEquals("bindHost", Setting.HOST.contextName());
        assertEquals("maxNewConnectionsPerAddressPerSecond",
            Setting.MAX_NEW_CONNECTIONS_PER_ADDRESS_PER_SECOND.contextName());
        assertNull(Setting.forKey("ring-sise"));
    }

    @Test
    void shouldLeaveTheSecretOutOfTheEffectiveConfiguration()
    {
        final String effective = context().toString();

        assertFalse(effective.contains(TestSwitch.SECRET), effective);
        assertTrue(effective.contains("maxFrameLengthBytes=" + Configuration.DEFAULT_MAX_FRAME_LENGTH_BYTES), effective);
        assertTrue(effective.contains("fsyncPolicy=batch"), effective);
    }

    @Test
    void shouldRequireAPublicHttpUrlWhenMediaIsOn(@TempDir final Path dir)
    {
        try (LocalMediaStore store = LocalMediaStore.open(dir, MediaLimits.DEFAULTS, Clock.systemUTC()))
        {
            final MediaKeys keys = MediaKeys.random();
            assertEquals(Setting.MEDIA_PUBLIC_URL, assertThrows(ConfigurationException.class,
                () -> context().media(store, keys).conclude()).setting());
            assertEquals(Setting.MEDIA_PUBLIC_URL, assertThrows(ConfigurationException.class,
                () -> context().media(store, keys).mediaPublicUrl("ftp://media.example.com").conclude()).setting());
            assertEquals(Setting.MEDIA_PUBLIC_URL, assertThrows(ConfigurationException.class,
                () -> context().media(store, keys).mediaPublicUrl("https://media.example.com/?a=b").conclude())
                .setting());
            assertDoesNotThrow(() -> context().media(store, keys).mediaPublicUrl("https://media.example.com")
                .conclude());
            assertDoesNotThrow(() -> context().conclude(), "media off needs no URL");
        }
    }

    @Test
    void shouldRefuseDirectUploadsWithAStoreThatCannotSignThem(@TempDir final Path dir)
    {
        try (LocalMediaStore store = LocalMediaStore.open(dir, MediaLimits.DEFAULTS, Clock.systemUTC()))
        {
            final MediaKeys keys = MediaKeys.random();
            final ConfigurationException refused = assertThrows(ConfigurationException.class,
                () -> context().media(store, keys).mediaPublicUrl("https://media.example.com")
                    .mediaS3DirectUploads(true).conclude());
            assertEquals(Setting.MEDIA_S3_DIRECT_UPLOADS, refused.setting());
            assertTrue(refused.getMessage().contains("media-s3-direct-uploads"), refused.getMessage());
            assertDoesNotThrow(() -> context().mediaS3DirectUploads(true).conclude(), "media off: nothing to refuse");
        }
    }

    @Test
    void shouldHaveUniqueKeysAndDocumentEverySetting()
    {
        final Set<String> keys = new HashSet<>();
        for (final Setting setting : Setting.values())
        {
            assertTrue(keys.add(setting.key()), setting.key());
            assertTrue(setting.key().matches("[a-z][a-z0-9]*(-[a-z0-9]+)*"), setting.key());
            assertNotNull(setting.section());
            assertTrue(setting.doc().endsWith("."), setting + " doc is a sentence");
        }
    }

    private static Class<?> boxed(final Class<?> type)
    {
        if (type == int.class)
        {
            return Integer.class;
        }
        if (type == long.class)
        {
            return Long.class;
        }
        if (type == boolean.class)
        {
            return Boolean.class;
        }
        return type;
    }
}
