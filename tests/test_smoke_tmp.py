def test_pages(as_role):
    b = as_role("admin")
    for url in ["/admin/", "/admin/client/", "/admin/client/new/", "/admin/visit/", "/admin/visit/new/",
                "/admin/event/", "/admin/event/new/", "/admin/complaint/", "/admin/complaint/new/",
                "/admin/tier/", "/admin/tier/edit/?id=1", "/admin/user/", "/admin/user/new/", "/admin/audit/"]:
        r = b.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[-3000:])
