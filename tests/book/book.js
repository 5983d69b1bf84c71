// A link to the same page in the other edition (English ↔ 한국어), shown only when that
// edition was built beside this one: `just book-build` puts them in target/book/en and
// target/book/ko.
(() => {
    const here = document.documentElement.lang === "ko" ? "ko" : "en";
    const there = here === "ko" ? "en" : "ko";
    const path = window.location.pathname;
    const marker = `/${here}/`;
    const at = path.lastIndexOf(marker);
    if (at < 0) return;
    const page = path.slice(at + marker.length) || "index.html";
    const target = `${path.slice(0, at)}/${there}/${page}`;
    fetch(target, { method: "HEAD" }).then((response) => {
        if (!response.ok) return;
        const link = document.createElement("a");
        link.className = "edition-switch";
        link.href = target;
        link.lang = there;
        link.textContent = there === "ko" ? "한국어" : "English";
        document.querySelector("main")?.prepend(link);
    }).catch(() => {});
})();

// Search in Korean. mdBook's search index (elasticlunr) keeps Latin-script words only, so
// a Hangul query would find nothing. The index still stores each section's text: for a
// query with Hangul in it, find its words there (the start of a word is enough, since
// particles follow: "브로드캐스트를"), and rank a section by how often they occur.
if (window.elasticlunr) {
    const latinSearch = elasticlunr.Index.prototype.search;
    elasticlunr.Index.prototype.search = function (query, options) {
        if (!/[\u3131-\u318e\uac00-\ud7a3]/.test(query)) return latinSearch.call(this, query, options);
        const words = query.toLowerCase().split(/\s+/).filter(Boolean);
        const results = [];
        for (const [ref, doc] of Object.entries(this.documentStore.docs)) {
            const title = (doc.title ?? "").toLowerCase();
            const text = `${title} ${doc.breadcrumbs ?? ""} ${doc.body ?? ""}`.toLowerCase();
            let score = 0;
            for (const word of words) {
                const count = text.split(word).length - 1;
                if (count === 0) { score = 0; break; }
                score += count + (title.includes(word) ? 5 : 0);
            }
            if (score > 0) results.push({ ref, score, doc });
        }
        return results.sort((a, b) => b.score - a.score);
    };
}
