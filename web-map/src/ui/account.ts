// Signing in and out: the header's account control and the login form. A token from
// `onemap user add` or `onemap user token` signs in; the server keeps it in an HTTP-only
// cookie, so tiles, the live feed and every API call carry it. After a change of user
// the page reloads: every layer and figure is then cut to the new user's unit.

import { login, logout, type Me } from "../api";
import { t, type Key } from "../i18n";
import { fill, h } from "./dom";

/** The login form; `required` when the server lets nobody in without one. */
export function loginForm(required: boolean, onClose?: () => void): HTMLElement {
  const input = h("input", { type: "password", placeholder: "om_…", testid: "login-token", autocomplete: "off" }) as HTMLInputElement;
  const error = h("p", { class: "error", testid: "login-error" });
  const submit = async () => {
    const r = await login(input.value.trim());
    if (r.ok) location.reload();
    else error.textContent = `${t("loginFailed")}: ${r.message}`;
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") void submit();
  });
  return h(
    "div",
    { class: "login-overlay", testid: "login" },
    h(
      "form",
      { class: "login-box", onsubmit: (e: Event) => (e.preventDefault(), void submit()) },
      h("h2", {}, "onemap ", t("title")),
      h("p", { class: "muted" }, required ? t("loginRequired") : t("loginHint")),
      input,
      h("button", { type: "submit", testid: "login-submit" }, t("loginButton")),
      required || !onClose ? null : h("button", { type: "button", onclick: onClose }, t("cancelButton")),
      error,
    ),
  );
}

/** The header's account control: the mode and user, with sign-in or sign-out. */
export function accountControl(who: Me): HTMLElement {
  const el = h("span", { class: "account", testid: "account" });
  const render = () => {
    if (who.user) {
      fill(
        el,
        h("span", { class: "demo", testid: "account-user" }, `${who.user.name} · ${t(("role_" + who.user.role) as Key) || who.user.role}${who.user.unit ? ` · ${who.user.unit}` : ""}`),
        h("button", { testid: "logout", onclick: () => void logout().then(() => location.reload()) }, t("logoutButton")),
      );
    } else {
      const open = () => {
        const form = loginForm(false, () => form.remove());
        document.body.append(form);
        (form.querySelector("input") as HTMLInputElement).focus();
      };
      fill(el, h("span", { class: "demo", testid: "access-mode" }, t("openDemo")), h("button", { testid: "login-open", onclick: open }, t("loginButton")));
    }
  };
  render();
  return el;
}
