def test_list_answers(api, make_completed_recording):
    rec = make_completed_recording()
    r = api.get("/v1/Recordings")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["recordings"][0]["sid"] == rec.sid
    print(body)
