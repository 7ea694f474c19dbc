/**
 * The Xin switch: {@link io.xin.core.XinSwitch} and its {@link io.xin.core.XinSwitch.Context}, the
 * embedding API; {@link io.xin.core.Configuration}, the names and defaults of every setting.
 */
package io.xin.core;
