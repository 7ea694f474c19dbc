/**
 * Private contact discovery: RFC 9497's oblivious PRF (mode 0x00, suite P256-SHA256) with RFC 9380's hash to the
 * curve ({@link io.xin.social.discovery.OprfClient} blinds and finalizes, {@link io.xin.social.discovery.OprfKey}
 * evaluates), the E.164 normaliser of its inputs ({@link io.xin.social.discovery.PhoneNumbers}), the switch's keys
 * ({@link io.xin.social.discovery.KeyRing}), its token buckets ({@link io.xin.social.discovery.TokenBucket}) and its
 * directory of registered tags ({@link io.xin.social.discovery.DiscoveryDirectory},
 * {@link io.xin.social.discovery.IndexedDiscoveryDirectory} over a {@link io.xin.social.discovery.TagIndex}).
 * docs/protocol.md ("Contact discovery") gives the protocol; docs/security.md what it protects.
 */
package io.xin.social.discovery;
