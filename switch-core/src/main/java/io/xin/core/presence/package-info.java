/**
 * Presence: which users have a device online on this node, and the paced PresenceUpdate pushes to their friends'
 * devices ({@link io.xin.core.presence.PresenceHub} on its own thread, {@link io.xin.core.presence.PresencePacer}
 * its coalescing and pacing). Told by the dispatchers (devices in and out) and the journals (friend rows and privacy,
 * once applied).
 */
package io.xin.core.presence;
