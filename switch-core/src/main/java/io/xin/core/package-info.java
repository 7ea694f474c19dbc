/**
 * The Xin switch: {@link io.xin.core.XinSwitch} and its {@link io.xin.core.XinSwitch.Context}, the
 * embedding API; {@link io.xin.core.Configuration}, the names and defaults of every setting. The top of the
 * switch's packages: it builds the others, and none of them depends on it.
 */
package io.xin.core;
