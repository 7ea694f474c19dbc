package io.xin.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.xin.protocol.pb.DiscoveryMatch;
import io.xin.protocol.pb.DiscoveryOp;
import io.xin.protocol.pb.DiscoveryRequest;
import io.xin.protocol.pb.DiscoveryResult;
import io.xin.protocol.pb.ErrorCode;
import io.xin.social.discovery.Oprf;
import io.xin.social.discovery.OprfClient;
import io.xin.social.discovery.PhoneNumbers;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * Finds which numbers of an address book belong to users of the switch, and registers this user's own number,
 * without the switch seeing any number (docs/protocol.md, "Contact discovery"):
 * <ol>
 *   <li>each entry is normalised to E.164 ({@link PhoneNumbers}); entries that are not numbers are left out;</li>
 *   <li>each number is blinded with a fresh random scalar ({@link OprfClient#blind});</li>
 *   <li>EVALUATE: the switch multiplies the blinded elements by its key, in batches of at most
 *   {@code batchSize} (the switch's {@code discovery-max-elements-per-request});</li>
 *   <li>each answer is unblinded and hashed into the PRF output, whose first 16 bytes are the number's tag;</li>
 *   <li>MATCH: the switch says which tags belong to registered users.</li>
 * </ol>
 * A rotation of the switch's key between the steps ({@code KEY_ROTATED}) starts the discovery over, twice at most.
 * A refusal for rate fails the future with a {@link XinClientException} of code {@code RATE_LIMITED} whose
 * {@link XinClientException#retryAfterMs()} says when the budget allows the book.
 * <p>
 * The elliptic-curve work (about 0.43 ms of CPU a number on a server core, more on a phone) runs on
 * {@code executor}, never on the client's event loop. Thread-safe: any thread may call it.
 */
public final class ContactDiscovery
{
    /** The switch's default of {@code discovery-max-elements-per-request}. */
    public static final int DEFAULT_BATCH_SIZE = 500;
    /** Times a discovery or registration starts over after {@code KEY_ROTATED}. */
    private static final int KEY_ROTATION_RETRIES = 2;

    private final XinClient client;
    private final String defaultCountryCode;
    private final int batchSize;
    private final Executor executor;
    private final SecureRandom random = new SecureRandom();

    /** The PRF key id and the tags of a list of numbers, in its order. */
    private record Evaluated(int keyId, byte[][] tags)
    {
    }

    /**
     * @param client             a logged-in (or logging-in) client.
     * @param defaultCountryCode the country code of book entries written without one, e.g. {@code "86"}.
     */
    public ContactDiscovery(final XinClient client, final String defaultCountryCode)
    {
        this(client, defaultCountryCode, DEFAULT_BATCH_SIZE, ForkJoinPool.commonPool());
    }

    /**
     * @param batchSize elements per request: at most the switch's {@code discovery-max-elements-per-request}.
     * @param executor  runs the blinding and unblinding.
     */
    public ContactDiscovery(
        final XinClient client, final String defaultCountryCode, final int batchSize, final Executor executor)
    {
        if (batchSize <= 0)
        {
            throw new IllegalArgumentException("batchSize must be positive: " + batchSize);
        }
        // Checks the code now rather than at the first book.
        PhoneNumbers.normalize("", defaultCountryCode);
        this.client = client;
        this.defaultCountryCode = defaultCountryCode;
        this.batchSize = batchSize;
        this.executor = executor;
    }

    /**
     * Which entries of {@code book} are users.
     *
     * @param book entries as stored in the address book; duplicates and non-numbers are fine.
     * @return completes with each registered number (E.164, as {@link PhoneNumbers#normalize} gives it) and its
     * user id; fails with the switch's error (RATE_LIMITED with its retry-after, NOT_ALLOWED when the switch does
     * not serve discovery).
     */
    public CompletableFuture<Map<String, Long>> discover(final Collection<String> book)
    {
        final Set<String> unique = new LinkedHashSet<>();
        for (final String entry : book)
        {
            final String number = PhoneNumbers.normalize(entry, defaultCountryCode);
            if (number != null)
            {
                unique.add(number);
            }
        }
        if (unique.isEmpty())
        {
            return CompletableFuture.completedFuture(Map.of());
        }
        return discover(List.copyOf(unique), KEY_ROTATION_RETRIES);
    }

    private CompletableFuture<Map<String, Long>> discover(final List<String> numbers, final int retries)
    {
        return evaluate(numbers)
            .thenCompose(evaluated -> match(numbers, evaluated))
            .exceptionallyCompose(ex -> retries > 0 && keyRotated(ex) ? discover(numbers, retries - 1) :
                CompletableFuture.failedFuture(ex));
    }

    /**
     * Registers this user's own number, so that those who hold it find this user; replaces an earlier one.
     *
     * @param ownNumber the number, in any spelling {@link PhoneNumbers} reads.
     * @return completes with the key id it is registered under.
     */
    public CompletableFuture<Integer> register(final String ownNumber)
    {
        final String number = PhoneNumbers.normalize(ownNumber, defaultCountryCode);
        if (number == null)
        {
            return CompletableFuture.failedFuture(new IllegalArgumentException("not a phone number"));
        }
        return register(number, KEY_ROTATION_RETRIES);
    }

    private CompletableFuture<Integer> register(final String number, final int retries)
    {
        return evaluate(List.of(number))
            .thenCompose(evaluated -> client.discovery(DiscoveryRequest.newBuilder()
                .setOp(DiscoveryOp.DISCOVERY_REGISTER)
                .setKeyId(evaluated.keyId())
                .addElements(UnsafeByteOperations.unsafeWrap(evaluated.tags()[0]))))
            .thenApply(DiscoveryResult::getKeyId)
            .exceptionallyCompose(ex -> retries > 0 && keyRotated(ex) ? register(number, retries - 1) :
                CompletableFuture.failedFuture(ex));
    }

    /**
     * Registers this user's number as the service that verified it issued the registration, for a switch that
     * checks registrations ({@code discovery-registration-key-file}): the tag, its key id and the proof, which that
     * service made with {@code RegistrationProofs.issue} and handed to this client. The number never leaves that
     * service. KEY_ROTATED means the service must issue a registration under the new key.
     *
     * @return completes with the key id it is registered under.
     */
    public CompletableFuture<Integer> register(final int keyId, final byte[] tag, final byte[] proof)
    {
        return client.discovery(DiscoveryRequest.newBuilder()
                .setOp(DiscoveryOp.DISCOVERY_REGISTER)
                .setKeyId(keyId)
                .addElements(ByteString.copyFrom(tag))
                .setProof(ByteString.copyFrom(proof)))
            .thenApply(DiscoveryResult::getKeyId);
    }

    /**
     * Removes this user's registration: nobody finds this user by number any more.
     */
    public CompletableFuture<Void> unregister()
    {
        return client.discovery(DiscoveryRequest.newBuilder().setOp(DiscoveryOp.DISCOVERY_UNREGISTER))
            .thenApply(result -> null);
    }

    /** Blinds, EVALUATEs in batches (all in flight at once), and finalizes into tags. */
    private CompletableFuture<Evaluated> evaluate(final List<String> numbers)
    {
        return CompletableFuture.supplyAsync(() -> blind(numbers), executor).thenCompose(blinded ->
        {
            final List<CompletableFuture<DiscoveryResult>> batches = new ArrayList<>();
            for (int start = 0; start < blinded.length; start += batchSize)
            {
                final DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder()
                    .setOp(DiscoveryOp.DISCOVERY_EVALUATE);
                for (int i = start; i < Math.min(blinded.length, start + batchSize); i++)
                {
                    request.addElements(UnsafeByteOperations.unsafeWrap(blinded[i].blindedElement()));
                }
                batches.add(client.discovery(request));
            }
            return CompletableFuture.allOf(batches.toArray(new CompletableFuture<?>[0]))
                .thenApplyAsync(done -> finalizeAll(blinded, batches), executor);
        });
    }

    private OprfClient.Blinded[] blind(final List<String> numbers)
    {
        final OprfClient.Blinded[] blinded = new OprfClient.Blinded[numbers.size()];
        for (int i = 0; i < blinded.length; i++)
        {
            blinded[i] = OprfClient.blind(numbers.get(i).getBytes(StandardCharsets.UTF_8), random);
        }
        return blinded;
    }

    private Evaluated finalizeAll(
        final OprfClient.Blinded[] blinded, final List<CompletableFuture<DiscoveryResult>> batches)
    {
        final byte[][] tags = new byte[blinded.length][];
        final int keyId = batches.get(0).join().getKeyId();
        int at = 0;
        for (final CompletableFuture<DiscoveryResult> batch : batches)
        {
            final DiscoveryResult result = batch.join();
            if (result.getKeyId() != keyId)
            {
                // The key rotated between two batches: their tags cannot be looked up together.
                throw new XinClientException(ErrorCode.KEY_ROTATED, "the key rotated during the evaluation");
            }
            final int expected = Math.min(batchSize, blinded.length - at);
            if (result.getElementsCount() != expected)
            {
                throw new XinClientException(ErrorCode.ERROR_CODE_UNSPECIFIED,
                    "EVALUATE answered " + result.getElementsCount() + " elements for " + expected);
            }
            for (final ByteString element : result.getElementsList())
            {
                tags[at] = Oprf.tag(OprfClient.finalizeOutput(blinded[at], element.toByteArray()));
                at++;
            }
        }
        return new Evaluated(keyId, tags);
    }

    /** MATCHes the tags in batches (all in flight at once) and maps the hits back to their numbers. */
    private CompletableFuture<Map<String, Long>> match(final List<String> numbers, final Evaluated evaluated)
    {
        final byte[][] tags = evaluated.tags();
        final List<CompletableFuture<DiscoveryResult>> batches = new ArrayList<>();
        for (int start = 0; start < tags.length; start += batchSize)
        {
            final DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder()
                .setOp(DiscoveryOp.DISCOVERY_MATCH)
                .setKeyId(evaluated.keyId());
            for (int i = start; i < Math.min(tags.length, start + batchSize); i++)
            {
                request.addElements(UnsafeByteOperations.unsafeWrap(tags[i]));
            }
            batches.add(client.discovery(request));
        }
        return CompletableFuture.allOf(batches.toArray(new CompletableFuture<?>[0])).thenApply(done ->
        {
            final Map<String, Long> found = new HashMap<>();
            for (int b = 0; b < batches.size(); b++)
            {
                final int start = b * batchSize;
                final int size = Math.min(batchSize, tags.length - start);
                for (final DiscoveryMatch match : batches.get(b).join().getMatchesList())
                {
                    if (match.getIndex() >= size)
                    {
                        throw new XinClientException(ErrorCode.ERROR_CODE_UNSPECIFIED,
                            "MATCH answered index " + match.getIndex() + " of " + size + " tags");
                    }
                    found.put(numbers.get(start + match.getIndex()), match.getUserId());
                }
            }
            return found;
        });
    }

    private static boolean keyRotated(final Throwable failure)
    {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null)
        {
            cause = cause.getCause();
        }
        return cause instanceof XinClientException ex && ex.code() == ErrorCode.KEY_ROTATED;
    }
}
