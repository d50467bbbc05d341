def test_it_lists_households_for_county_officer(login, personas, households):
    client = login(personas["county_officer"])
    r = client.get("/households/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "蔡德胜" in body and "马超" in body
    assert "共 4 户" in body
