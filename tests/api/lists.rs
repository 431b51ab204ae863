//! The list engine: limits, offset and page, keyset cursors, sorting, search, date and equality
//! filters, allow-lists, totals and Link headers.

use serde_json::json;

use crate::common::{H, Tenant};

async fn seed(h: &H, t: &Tenant, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let r = h
            .post(
                "/api/v1/environments",
                json!({"name": format!("env-{i:02}"), "description": if i % 3 == 0 { "Blue team" } else { "red" }}),
            )
            .token(&t.admin)
            .send()
            .await;
        assert_eq!(r.status, 201);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    ids
}

#[tokio::test]
async fn limit_offset_page_and_totals() {
    let h = H::new();
    let t = h.tenant("Lists").await;
    let ids = seed(&h, &t, 30).await;
    let r = h.get("/api/v1/environments").token(&t.admin).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 25, "default limit 25");
    assert_eq!(r.header("x-total-count"), Some("30"));
    let p = &r.body["pagination"];
    assert_eq!(
        (p["total"].as_i64(), p["limit"].as_i64(), p["offset"].as_i64(), p["page"].as_i64(), p["totalPages"].as_i64()),
        (Some(30), Some(25), Some(0), Some(1), Some(2))
    );
    assert!(p["nextCursor"].is_string());
    let link = r.header("link").unwrap();
    assert!(link.contains("rel=\"next\"") && link.contains("cursor="), "{link}");
    // Default order: newest first.
    assert_eq!(r.ids()[0], ids[29]);

    let r = h.get("/api/v1/environments?limit=10&offset=20&sort=createdAt").token(&t.admin).send().await;
    assert_eq!(r.ids(), ids[20..30].to_vec());
    assert_eq!(r.body["pagination"]["page"], 3);
    assert!(r.header("link").is_none(), "no next page");
    let r = h.get("/api/v1/environments?limit=10&page=2&sort=createdAt").token(&t.admin).send().await;
    assert_eq!(r.ids(), ids[10..20].to_vec());
    assert_eq!(r.body["pagination"]["offset"], 10);
    let link = r.header("link").unwrap();
    assert!(link.contains("offset=20"), "{link}");

    for bad in [
        "limit=0",
        "limit=201",
        "limit=abc",
        "offset=-1",
        "page=0",
        "offset=1&page=2",
        "cursor=garbage",
        "sort=-bogus",
        "sort=",
        "colour=red",
        "filter[colour]=red",
        "createdAfter=yesterday",
    ] {
        let r = h.get(&format!("/api/v1/environments?{bad}")).token(&t.admin).send().await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert_eq!(r.error_code(), "invalid_query", "{bad}");
        assert!(r.body["details"]["fields"].as_object().unwrap().len() == 1, "{bad} names the parameter");
    }
    let r = h.get("/api/v1/environments?limit=200").token(&t.admin).send().await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn cursors_walk_every_row_once_and_are_stable_under_inserts() {
    let h = H::new();
    let t = h.tenant("Cursor").await;
    let ids = seed(&h, &t, 23).await;
    let mut seen = Vec::new();
    let mut url = "/api/v1/environments?limit=5&sort=-createdAt".to_string();
    let mut pages = 0;
    loop {
        let r = h.get(&url).token(&t.admin).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen.extend(r.ids());
        pages += 1;
        if pages == 1 {
            // New rows arriving while paging do not shift later pages.
            seed_more(&h, &t).await;
        }
        match r.body["pagination"]["nextCursor"].as_str() {
            Some(c) => {
                assert!(r.body["pagination"]["offset"].is_i64() || pages > 1);
                url = format!("/api/v1/environments?limit=5&cursor={c}");
            }
            None => break,
        }
        assert!(pages < 10, "bounded");
    }
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(seen, expected);
    // A cursor belongs to its sort.
    let r = h.get("/api/v1/environments?limit=5&sort=name").token(&t.admin).send().await;
    let c = r.body["pagination"]["nextCursor"].as_str().unwrap();
    let r = h.get(&format!("/api/v1/environments?cursor={c}&sort=-name")).token(&t.admin).send().await;
    assert_eq!(r.status, 400);
    let r = h.get(&format!("/api/v1/environments?cursor={c}&offset=5")).token(&t.admin).send().await;
    assert_eq!(r.status, 400);
    let r = h.get(&format!("/api/v1/environments?limit=5&cursor={c}")).token(&t.admin).send().await;
    assert_eq!(r.body["data"][0]["name"], "env-05");
    assert!(r.body["pagination"]["offset"].is_null());
}

async fn seed_more(h: &H, t: &Tenant) {
    let r = h.post("/api/v1/environments", json!({"name": "late-arrival"})).token(&t.admin).send().await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn sorting_search_and_filters() {
    let h = H::new();
    let t = h.tenant("Sorting").await;
    seed(&h, &t, 9).await;
    let r = h.get("/api/v1/environments?sort=-name&limit=3").token(&t.admin).send().await;
    let names: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["env-08", "env-07", "env-06"]);
    let r = h.get("/api/v1/environments?sort=description,-name&limit=4").token(&t.admin).send().await;
    assert_eq!(r.status, 400, "description is not sortable");
    let r = h.get("/api/v1/environments?sort=-updatedAt,name&limit=2").token(&t.admin).send().await;
    assert_eq!(r.status, 200, "several sort fields");

    // Case-insensitive substring search; LIKE wildcards are literal.
    let r = h.get("/api/v1/environments?search=BLUE").token(&t.admin).send().await;
    assert_eq!(r.body["pagination"]["total"], 3);
    let r = h.get("/api/v1/environments?search=%25").token(&t.admin).send().await;
    assert_eq!(r.body["pagination"]["total"], 0);

    // Date filters.
    let all = h.get("/api/v1/environments?sort=createdAt&limit=100").token(&t.admin).send().await;
    let fifth = all.body["data"][4]["createdAt"].as_str().unwrap().to_string();
    let r = h.get(&format!("/api/v1/environments?createdAfter={fifth}")).token(&t.admin).send().await;
    assert_eq!(r.body["pagination"]["total"], 5);
    let r = h.get(&format!("/api/v1/environments?createdBefore={fifth}")).token(&t.admin).send().await;
    assert_eq!(r.body["pagination"]["total"], 4);

    // Equality filters, also as filter[x]=; bad enum values are 400.
    h.post("/api/v1/users", json!({"email": "m1@sorting.test", "role": "member", "password": "password-123"}))
        .token(&t.admin)
        .send()
        .await;
    h.post("/api/v1/users", json!({"email": "g1@sorting.test", "role": "guest"})).token(&t.admin).send().await;
    let r = h.get("/api/v1/users?role=member").token(&t.admin).send().await;
    assert_eq!(r.body["pagination"]["total"], 1);
    let r = h.get("/api/v1/users?filter[status]=invited").token(&t.admin).send().await;
    assert_eq!(r.body["pagination"]["total"], 1);
    assert_eq!(r.body["data"][0]["email"], "g1@sorting.test");
    let r = h.get("/api/v1/users?role=emperor").token(&t.admin).send().await;
    assert_eq!(r.status, 400);
    assert!(r.body["details"]["fields"]["role"].as_str().unwrap().contains("one of"));
}

#[tokio::test]
async fn totals_are_kept_for_whole_lists_and_capped_when_filtered() {
    let h = H::new();
    let t = h.tenant("Totals").await;
    let other = h.tenant("Elsewhere").await;
    let ids = seed(&h, &t, 3).await;
    seed(&h, &other, 2).await;
    let r = h.delete(&format!("/api/v1/environments/{}", ids[0])).token(&t.admin).send().await;
    assert_eq!(r.status, 200);
    let r = h.get("/api/v1/environments").token(&t.admin).send().await;
    assert_eq!((r.header("x-total-count"), r.header("x-total-count-exact")), (Some("2"), Some("true")));
    assert_eq!(r.body["pagination"]["totalExact"], true);

    // Rows written by any path (here straight into the file) are counted.
    let bulk = admin_appliance::db::list::TOTAL_CAP + 50;
    h.sql(|c| {
        c.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
             INSERT INTO environments (id, tenant_id, name, description, created_at, updated_at)
             SELECT printf('00000000-0000-4000-8000-%012d', i), ?1, 'bulk-' || i, 'bulk row',
                    '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z' FROM n",
            rusqlite::params![t.id, bulk],
        )
        .unwrap()
    });
    let r = h.get("/api/v1/environments?limit=1").token(&t.admin).send().await;
    assert_eq!(r.header("x-total-count"), Some((bulk + 2).to_string().as_str()));
    assert_eq!(r.body["pagination"]["totalExact"], true);
    let r = h.get("/api/v1/environments?limit=1").token(&other.admin).send().await;
    assert_eq!(r.header("x-total-count"), Some("2"), "per tenant");

    // A filtered list counts up to the cap and says when it stopped there.
    let r = h.get("/api/v1/environments?limit=1&search=bulk").token(&t.admin).send().await;
    let cap = admin_appliance::db::list::TOTAL_CAP.to_string();
    assert_eq!((r.header("x-total-count"), r.header("x-total-count-exact")), (Some(cap.as_str()), Some("false")));
    assert_eq!(r.body["pagination"]["totalExact"], false);
    assert!(r.header("link").is_some(), "more pages still offered");
    let r = h.get("/api/v1/environments?limit=1&search=env-0").token(&t.admin).send().await;
    assert_eq!((r.header("x-total-count"), r.header("x-total-count-exact")), (Some("2"), Some("true")));
}

#[tokio::test]
async fn cursors_over_mixed_sort_directions() {
    let h = H::new();
    let t = h.tenant("Mixed").await;
    // Names repeat, so the second key decides within a name.
    for i in 0..9 {
        let r = h
            .post("/api/v1/environments", json!({"name": format!("n{}-{i}", i % 3), "description": "x"}))
            .token(&t.admin)
            .send()
            .await;
        assert_eq!(r.status, 201);
    }
    let all = h.get("/api/v1/environments?limit=100&sort=-name,createdAt").token(&t.admin).send().await;
    assert_eq!(all.status, 200, "{}", all.text);
    let expected = all.ids();
    let mut seen = Vec::new();
    let mut url = "/api/v1/environments?limit=2&sort=-name,createdAt".to_string();
    for _ in 0..10 {
        let r = h.get(&url).token(&t.admin).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen.extend(r.ids());
        match r.body["pagination"]["nextCursor"].as_str() {
            Some(c) => url = format!("/api/v1/environments?limit=2&sort=-name,createdAt&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}
