package io.xin.core;

import com.google.protobuf.ByteString;
import io.xin.client.ContactDiscovery;
import io.xin.client.XinClientException;
import io.xin.core.TestDevices.Device;
import io.xin.protocol.pb.DiscoveryOp;
import io.xin.protocol.pb.DiscoveryRequest;
import io.xin.protocol.pb.DiscoveryResult;
import io.xin.protocol.pb.ErrorCode;
import io.xin.social.discovery.KeyRing;
import io.xin.social.discovery.Oprf;
import io.xin.social.discovery.OprfClient;
import io.xin.social.discovery.PhoneNumbers;
import io.xin.social.discovery.RegistrationProofs;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static io.xin.core.TestDevices.assertRefused;
import static io.xin.core.TestDevices.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Contact discovery end to end over real sockets, a real RocksDB and the real client: a book's matches equal the
 * brute-force answer, the account's and the device's budgets refuse with a retry-after, the previous key is served
 * through its grace period and forgotten after it, registrations survive a restart, and a switch without a key
 * file refuses.
 */
@Timeout(180)
class DiscoveryIT
{
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dataDir;
    @TempDir
    Path keyDir;
    private Path keyFile;
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

    private void start(final Consumer<XinSwitch.Context> customizer) throws Exception
    {
        keyFile = keyDir.resolve("discovery.keys");
        if (!Files.exists(keyFile))
        {
            Files.writeString(keyFile, KeyRing.file(1, seed(), 0, null));
        }
        server = new TestSwitch(dataDir, ctx ->
        {
            ctx.discoveryKeyFile(keyFile);
            customizer.accept(ctx);
        });
        clients = new TestDevices(server);
    }

    @Test
    void shouldFindExactlyTheRegisteredNumbersOfABook() throws Exception
    {
        // 25 elements a request: a book of over 100 numbers takes several batches each way.
        start(ctx -> ctx.discoveryMaxElementsPerRequest(25));
        final Random random = new Random(11);
        final Map<String, Long> registry = new HashMap<>();
        final List<String> registeredNumbers = new ArrayList<>();
        for (long user = 1; user <= 30; user++)
        {
            final String number = "+86139" + String.format("%08d", random.nextInt(100_000_000));
            register(user, number);
            registry.put(number, user);
            registeredNumbers.add(number);
        }
        // User 31 takes user 7's number over; user 9 leaves.
        final String moved = registeredNumbers.get(6);
        register(31, moved);
        registry.put(moved, 31L);
        final Device leaving = clients.connect(9, "tablet");
        await(new ContactDiscovery(leaving.client, "86").unregister());
        registry.remove(registeredNumbers.get(8));

        // A book: registered numbers spelled as people store them, unregistered ones, junk and duplicates.
        final List<String> book = new ArrayList<>();
        for (int i = 0; i < registeredNumbers.size(); i++)
        {
            final String number = registeredNumbers.get(i);
            final String national = number.substring(3);
            book.add(switch (i % 3)
            {
                case 0 -> number;
                case 1 -> national.substring(0, 3) + " " + national.substring(3, 7) + " " + national.substring(7);
                default -> "0086-" + national;
            });
        }
        for (int i = 0; i < 90; i++)
        {
            book.add("+86137" + String.format("%08d", random.nextInt(100_000_000)));
        }
        book.addAll(List.of("n/a", "110", "10086", "", "+86 139", registeredNumbers.get(0), registeredNumbers.get(1)));
        Collections.shuffle(book, random);

        final Device finder = clients.connect(100, "phone");
        final Map<String, Long> found = await(new ContactDiscovery(finder.client, "86", 25,
            Runnable::run).discover(book));

        final Map<String, Long> bruteForce = new HashMap<>();
        for (final String entry : book)
        {
            final String number = PhoneNumbers.normalize(entry, "86");
            if (number != null && registry.containsKey(number))
            {
                bruteForce.put(number, registry.get(number));
            }
        }
        assertEquals(bruteForce, found);
        assertEquals(29, found.size(), "30 registered, one of them moved to user 31, one left");
        assertEquals(31L, found.get(moved));
    }

    @Test
    void shouldRefuseEvaluationsOverTheDeviceAndAccountBudgetsWithARetryAfter() throws Exception
    {
        start(ctx -> ctx
            .discoveryBucketCapacity(30).discoveryRefillPerHour(1)
            .discoveryDeviceBucketCapacity(20).discoveryDeviceRefillPerHour(2)
            .discoveryMaxElementsPerRequest(10));
        final Device phone = clients.connect(1, "phone");
        assertEquals(10, await(phone.client.discovery(evaluate(10))).getTokensLeft());
        assertEquals(0, await(phone.client.discovery(evaluate(10))).getTokensLeft());
        final XinClientException device = refusedForRate(phone.client.discovery(evaluate(10)));
        assertWait(5 * 3_600_000, device, "10 tokens at 2 an hour");

        // A second device has its own bucket, but the account has only 10 left.
        final Device tablet = clients.connect(1, "tablet");
        assertEquals(0, await(tablet.client.discovery(evaluate(10))).getTokensLeft());
        final XinClientException account = refusedForRate(tablet.client.discovery(evaluate(1)));
        assertWait(3_600_000, account, "1 token at 1 an hour");

        // The helper surfaces the same refusal, and other accounts are untouched.
        final Device desk = clients.connect(1, "desk");
        final ExecutionException helper = assertThrows(ExecutionException.class,
            () -> new ContactDiscovery(desk.client, "86", 10, Runnable::run)
                .discover(List.of("+8613900000001", "+8613900000002")).get(TestDevices.WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(ErrorCode.RATE_LIMITED, assertInstanceOf(XinClientException.class, helper.getCause()).code());
        final Device other = clients.connect(2, "phone");
        assertEquals(10, await(other.client.discovery(evaluate(10))).getTokensLeft());
        // The session stays open after a refusal.
        assertEquals(0, await(phone.client.discovery(DiscoveryRequest.newBuilder()
            .setOp(DiscoveryOp.DISCOVERY_MATCH).setKeyId(1).addElements(ByteString.copyFrom(new byte[16]))))
            .getMatchesCount());
    }

    @Test
    void shouldServeThePreviousKeyThroughItsGracePeriodAndForgetItAfter() throws Exception
    {
        start(ctx -> { });
        register(5, "+8613912340005");
        register(6, "+8613912340006");
        final Device finder = clients.connect(100, "phone");
        final ContactDiscovery discovery = new ContactDiscovery(finder.client, "86", 500, Runnable::run);
        assertEquals(Map.of("+8613912340005", 5L, "+8613912340006", 6L),
            await(discovery.discover(List.of("+8613912340005", "+8613912340006", "+8613912340007"))));
        // Tags made under key 1 before the rotation.
        final List<ByteString> oldTags = tags(finder, "+8613912340005", "+8613912340006");

        // Rotate: key 2 is current, key 1 previous. Registrations survive the restart.
        Files.writeString(keyFile, KeyRing.rotatedFile(Files.readString(keyFile), 2, seed()));
        server.restart();
        await(finder.client.connect());
        final DiscoveryResult grace = await(finder.client.discovery(DiscoveryRequest.newBuilder()
            .setOp(DiscoveryOp.DISCOVERY_MATCH).setKeyId(1).addAllElements(oldTags)));
        assertEquals(2, grace.getMatchesCount(), "key 1's registrations still answer in the grace period");
        assertRefused(ErrorCode.KEY_ROTATED, finder.client.discovery(evaluate(1).setKeyId(1)));
        assertRefused(ErrorCode.KEY_ROTATED, finder.client.discovery(DiscoveryRequest.newBuilder()
            .setOp(DiscoveryOp.DISCOVERY_REGISTER).setKeyId(1).addElements(oldTags.get(0))));
        // A new discovery evaluates under key 2, where nobody registered yet; user 5 does at its next login.
        assertEquals(Map.of(), await(discovery.discover(List.of("+8613912340005", "+8613912340006"))));
        assertEquals(2, (int)await(new ContactDiscovery(clients.connect(5, "phone").client, "86")
            .register("+8613912340005")));
        assertEquals(Map.of("+8613912340005", 5L),
            await(discovery.discover(List.of("+8613912340005", "+8613912340006"))));

        // After the grace period: key 3 current, key 2 previous; key 1 is gone, in memory and on disk.
        Files.writeString(keyFile, KeyRing.rotatedFile(Files.readString(keyFile), 3, seed()));
        server.restart();
        await(finder.client.connect());
        assertRefused(ErrorCode.KEY_ROTATED, finder.client.discovery(DiscoveryRequest.newBuilder()
            .setOp(DiscoveryOp.DISCOVERY_MATCH).setKeyId(1).addAllElements(oldTags)));
        assertArrayEquals(new int[]{ 2 }, server.xin().store().discoveryRegistrations().keyIds());
        server.close();
        server = null;
        try (XinStore store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER)))
        {
            assertEquals(0, store.discoveryRegistrations().count(1));
            assertEquals(1, store.discoveryRegistrations().count(2));
        }
    }

    @Test
    void shouldTakeOnlyRegistrationsTheNumberVerifyingServiceProved() throws Exception
    {
        final Path secretFile = Files.writeString(keyDir.resolve("registration.key"),
            RegistrationProofs.newFile(RANDOM));
        start(ctx -> ctx.discoveryRegistrationKeyFile(secretFile));
        final Device mallory = clients.connect(66, "phone");
        final Device alice = clients.connect(5, "phone");
        final Device finder = clients.connect(9, "phone");

        // Mallory claims Alice's number on its own word: refused.
        assertRefused(ErrorCode.NOT_ALLOWED, new ContactDiscovery(mallory.client, "86").register("+8613912340005"));

        // The service that sent Alice her SMS code issues her registration; her client presents it.
        final RegistrationProofs service = RegistrationProofs.load(secretFile);
        final RegistrationProofs.Registration issued = service.issue(KeyRing.load(keyFile), 5, "+8613912340005",
            System.currentTimeMillis() + 600_000);
        // Mallory replays it: the proof is Alice's.
        assertRefused(ErrorCode.NOT_ALLOWED, new ContactDiscovery(mallory.client, "86")
            .register(issued.keyId(), issued.tag(), issued.proof()));
        assertEquals(currentKeyId(), (int)await(new ContactDiscovery(alice.client, "86")
            .register(issued.keyId(), issued.tag(), issued.proof())));

        final Map<String, Long> found = await(new ContactDiscovery(finder.client, "86")
            .discover(List.of("+8613912340005", "+8613912340066")));
        assertEquals(Map.of("+8613912340005", 5L), found);
    }

    @Test
    void shouldRefuseDiscoveryWithoutAKeyFile() throws Exception
    {
        server = new TestSwitch(dataDir);
        clients = new TestDevices(server);
        final Device device = clients.connect(1, "phone");
        assertRefused(ErrorCode.NOT_ALLOWED, device.client.discovery(evaluate(1)));
        assertRefused(ErrorCode.NOT_ALLOWED,
            new ContactDiscovery(device.client, "86").discover(List.of("+8613900000001")));
    }

    @Test
    void shouldRefuseAnUnusableKeyFileAtLaunch() throws Exception
    {
        final Path bad = keyDir.resolve("bad.keys");
        Files.writeString(bad, "current.id = 1\ncurrent.seed = 1234\n");
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> new TestSwitch(dataDir, ctx -> ctx.discoveryKeyFile(bad)));
        assertEquals(Setting.DISCOVERY_KEY_FILE, ex.setting());
        assertThrows(ConfigurationException.class, () -> new TestSwitch(dataDir, ctx -> ctx
            .discoveryKeyFile(bad).discoveryMaxElementsPerRequest(5_000)));
    }

    private void register(final long userId, final String number) throws Exception
    {
        final Device device = clients.connect(userId, "phone");
        assertEquals(currentKeyId(), (int)await(new ContactDiscovery(device.client, "86").register(number)));
    }

    private int currentKeyId() throws Exception
    {
        return KeyRing.load(keyFile).current().id();
    }

    /** Tags of numbers under the current key, made as the client makes them. */
    private static List<ByteString> tags(final Device device, final String... numbers) throws Exception
    {
        final List<OprfClient.Blinded> blinded = new ArrayList<>();
        final DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder().setOp(DiscoveryOp.DISCOVERY_EVALUATE);
        for (final String number : numbers)
        {
            final OprfClient.Blinded one =
                OprfClient.blind(number.getBytes(StandardCharsets.UTF_8), RANDOM);
            blinded.add(one);
            request.addElements(ByteString.copyFrom(one.blindedElement()));
        }
        final DiscoveryResult result = await(device.client.discovery(request));
        final List<ByteString> tags = new ArrayList<>();
        for (int i = 0; i < numbers.length; i++)
        {
            tags.add(ByteString.copyFrom(Oprf.tag(OprfClient
                .finalizeOutput(blinded.get(i), result.getElements(i).toByteArray()))));
        }
        return tags;
    }

    private static DiscoveryRequest.Builder evaluate(final int count)
    {
        final DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder().setOp(DiscoveryOp.DISCOVERY_EVALUATE);
        for (int i = 0; i < count; i++)
        {
            request.addElements(ByteString.copyFrom(OprfClient.blind(
                ("+86139000" + (10_000 + i)).getBytes(StandardCharsets.UTF_8), RANDOM).blindedElement()));
        }
        return request;
    }

    private static XinClientException refusedForRate(final CompletableFuture<?> future)
    {
        final ExecutionException failure = assertThrows(ExecutionException.class,
            () -> future.get(TestDevices.WAIT_MS, TimeUnit.MILLISECONDS));
        final XinClientException cause = assertInstanceOf(XinClientException.class, failure.getCause());
        assertEquals(ErrorCode.RATE_LIMITED, cause.code(), cause.getMessage());
        assertTrue(cause.retryAfterMs() > 0);
        return cause;
    }

    /** The wait the switch computed, less the little time the test took since the buckets were emptied. */
    private static void assertWait(final int expectedMs, final XinClientException refusal, final String why)
    {
        assertTrue(refusal.retryAfterMs() <= expectedMs && refusal.retryAfterMs() > expectedMs - 60_000,
            why + ": " + refusal.retryAfterMs());
    }

    private static byte[] seed()
    {
        final byte[] seed = new byte[32];
        RANDOM.nextBytes(seed);
        return seed;
    }
}
