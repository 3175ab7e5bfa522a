// The navigation's 系统管理 menu (base.html's <details class="nav-menu">): it opens and closes as a
// <details> does (click, Enter, Space); a click elsewhere or Escape closes it, as a menu would.
export function bindNavMenus() {
  const menus = [...document.querySelectorAll("details.nav-menu")];
  if (!menus.length) return;
  document.addEventListener("click", (e) => {
    for (const menu of menus) if (menu.open && !menu.contains(e.target)) menu.open = false;
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    for (const menu of menus) {
      if (!menu.open) continue;
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
}
