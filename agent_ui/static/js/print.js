// 打印: the print page's button (the page's own scripts are not inline: CSP)
document.getElementById("print-now")?.addEventListener("click", () => window.print());
