package io.xin.bench.auth;

import io.jsonwebtoken.Jwts;
import io.xin.core.auth.AuthException;
import io.xin.core.auth.TokenIssuer;
import io.xin.core.auth.TokenVerifier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.TimeUnit;

/**
 * One login's token check, as the event loop runs it: HS256 with a shared secret, ES256 (P-256) and
 * EdDSA (Ed25519) with a public key. Run with {@code -prof gc} for bytes per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TokenVerifierBenchmark
{
    private static final String SECRET = "benchmark-secret-of-at-least-32-bytes!!";

    @Param({"HS256", "ES256", "EdDSA"})
    String algorithm;

    private TokenVerifier verifier;
    private String token;

    @Setup
    public void setup() throws Exception
    {
        final Instant now = Instant.now();
        final var builder = Jwts.builder().subject("42").issuedAt(Date.from(now))
            .expiration(Date.from(now.plus(Duration.ofDays(1))));
        switch (algorithm)
        {
            case "HS256" ->
            {
                verifier = new TokenVerifier(SECRET.getBytes(StandardCharsets.UTF_8), null, 30, System::currentTimeMillis);
                token = new TokenIssuer(SECRET).issue(42, Duration.ofDays(1));
            }
            case "ES256" ->
            {
                final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"));
                final KeyPair keys = generator.generateKeyPair();
                verifier = new TokenVerifier(null, keys.getPublic(), 30, System::currentTimeMillis);
                token = builder.signWith(keys.getPrivate(), Jwts.SIG.ES256).compact();
            }
            default ->
            {
                final KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
                verifier = new TokenVerifier(null, keys.getPublic(), 30, System::currentTimeMillis);
                token = builder.signWith(keys.getPrivate(), Jwts.SIG.EdDSA).compact();
            }
        }
        if (verifier.verify(token) != 42)
        {
            throw new IllegalStateException("token does not verify");
        }
    }

    @Benchmark
    public long verify() throws AuthException
    {
        return verifier.verify(token);
    }
}
