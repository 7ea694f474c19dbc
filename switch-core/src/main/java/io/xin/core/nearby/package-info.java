/**
 * People nearby and shake in the switch: {@link io.xin.core.nearby.NearbyService}, one thread that owns the nearby
 * index and the shake matcher of {@code io.xin.social}, fed by the event loops through a bounded many-to-one queue
 * and answering through the sessions' channels.
 */
package io.xin.core.nearby;
