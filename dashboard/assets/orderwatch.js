// The console's browser-side helpers: colour scheme, active navigation, and sending the user to
// sign in (and back) when the session ends in the middle of work.
window.orderwatch = {
    activeLinks: function (paths, pathname) {
        // The longest path that prefixes the current one is the active page ("/" only on "/").
        var best = paths.reduce(function (found, path) {
            var matches = pathname === path || (path !== "/" && pathname.indexOf(path + "/") === 0);
            return matches && path.length > found.length ? path : found;
        }, "");
        return paths.map(function (path) { return path === best; });
    },
};

window.dash_clientside = Object.assign({}, window.dash_clientside, {
    orderwatch: {
        toggleScheme: function (clicks, stored) {
            if (!clicks) { return stored === "dark" ? "dark" : "light"; }
            return stored === "dark" ? "light" : "dark";
        },
        applyScheme: function (scheme) {
            // Mantine follows forceColorScheme; AG Grid's built-in themes read this attribute
            // on an ancestor of every grid.
            var mode = scheme === "dark" ? "dark" : "light";
            document.documentElement.setAttribute("data-ag-theme-mode", mode);
            return mode;
        },
        signOut: function (clicks) {
            // A form POST, so the browser sends the Origin header the server checks.
            if (clicks) { document.getElementById("shell-logout-form").submit(); }
            return window.dash_clientside.no_update;
        },
        staleMarker: function (_tick, heartbeat, interval) {
            // Runs in the browser: it still runs when the server cannot be reached, which is
            // exactly when the last answer (the heartbeat) grows old.
            if (!heartbeat) { return "none"; }
            return Date.now() - heartbeat > 3 * interval + 2000 ? "inline-block" : "none";
        },
    },
});

(function () {
    // A callback answered 401 means the session ended: nothing was applied; sign in again and
    // come back to the same view (its filters live in the URL).
    var originalFetch = window.fetch.bind(window);
    window.fetch = function () {
        return originalFetch.apply(null, arguments).then(function (response) {
            var url = response.url || "";
            if (response.status === 401 && url.indexOf("/_dash-") !== -1) {
                var back = window.location.pathname + window.location.search;
                window.location.assign("/login?next=" + encodeURIComponent(back));
            }
            return response;
        });
    };
})();
