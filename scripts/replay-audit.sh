#!/bin/bash
# scripts/replay-audit.sh BASE: the outside audit's reproductions (issue 14), replayed with curl
# against a served app (the demo data and password, TRUSTED_PROXIES=1 so that X-Forwarded-For
# stands for other addresses); prints each status and counts the responses >= 500.
B=${1:?usage: scripts/replay-audit.sh BASE_URL}; T=$(mktemp -d); PW="${DEMO_PASSWORD:?set DEMO_PASSWORD to the password of the demo users}"
csrf() { grep -o '<input[^>]*name="csrf_token"[^>]*>' | head -1 | grep -o 'value="[^"]*"' | sed 's/value="//; s/"$//'; }
login() { # login JAR USER [IP]
  local tok=$(curl -s -c $1 -b $1 -H "X-Forwarded-For: ${3:-10.1.1.1}" $B/login | csrf)
  curl -s -o /dev/null -w "%{http_code}" -c $1 -b $1 -H "X-Forwarded-For: ${3:-10.1.1.1}" \
       --data-urlencode "username=$2" --data-urlencode "password=${4:-$PW}" --data-urlencode "csrf_token=$tok" $B/login; }
fails=0
get() { local code=$(curl -s -o $T/body -w "%{http_code}" -b $1 -H "X-Forwarded-For: 10.1.1.1" "$B$2"); echo "$code GET $2"; [ "$code" -ge 500 ] && fails=$((fails+1)); true; }
echo "== copied cookie after logout"
login $T/staff staff >/dev/null; cp $T/staff $T/copy
tok=$(curl -s -c $T/staff -b $T/staff $B/admin/ | csrf); cp $T/staff $T/copy
curl -s -o /dev/null -w "%{http_code} POST /logout\n" -b $T/staff -c $T/staff --data-urlencode "csrf_token=$tok" $B/logout
curl -s -o /dev/null -w "%{http_code} copied cookie GET /admin/ -> %{redirect_url}\n" -b $T/copy $B/admin/
echo "== reproductions (supervisor, admin)"
login $T/sup supervisor >/dev/null; login $T/adm admin >/dev/null
for u in "/admin/client/?flt0_6=pirate" "/admin/visit/?flt0_3=pirate" "/admin/complaint/?flt0_4=pirate" \
  "/admin/client/export/csv/?flt0_6=pirate" "/admin/client/export/xlsx/?flt0_6=pirate" "/admin/client/export/csv/?sort=999" \
  "/admin/client/details/?id=99999999999999999999" "/admin/client/edit/?id=99999999999999999999" \
  "/admin/client/details/?id=2147483648" "/admin/client/?search=%00" "/admin/client/?search=a%00b" \
  "/admin/client/?flt0_1=%00" "/admin/client/?page=-1" "/admin/client/?page=100000000000000000000" \
  "/admin/visit/ajax/lookup/?name=client&query=a&limit=-1&offset=-5" "/admin/visit/ajax/lookup/?name=client&query=&limit=100000" \
  "/admin/complaint/details/?id=abc" "/admin/audit/?flt0_0=%00"; do get $T/sup "$u"; done
for d in 0 366 100000000000000000000; do
  tok=$(curl -s -c $T/adm -b $T/adm "$B/admin/service_level/edit/?id=1" | csrf)
  code=$(curl -s -o $T/body -w "%{http_code}" -b $T/adm -H "X-Forwarded-For: 10.1.1.1" --data-urlencode "days=$d" --data-urlencode "counted_in=calendar" --data-urlencode "version_id=1" --data-urlencode "csrf_token=$tok" "$B/admin/service_level/edit/?id=1")
  echo "$code POST service_level days=$d"; [ "$code" -ge 500 ] && fails=$((fails+1))
done
tok=$(curl -s -c $T/sup -b $T/sup "$B/admin/client/?search=%20:abc" | csrf)
code=$(curl -s -o /dev/null -w "%{http_code}" -b $T/sup -H "X-Forwarded-For: 10.1.1.1" --data-urlencode "scope=filtered" --data-urlencode "csrf_token=$tok" "$B/admin/client/recalculate/?search=%20:abc")
echo "$code POST recalculate matching, search ' :abc'"; [ "$code" -ge 500 ] && fails=$((fails+1))
echo "== export cut off after 2 KB"
curl -s -b $T/sup -H "X-Forwarded-For: 10.1.1.1" "$B/admin/visit/export/csv/" | head -c 2000 > /dev/null
echo "== outsider's five wrong passwords from 10.9.9.9, then the user from 10.1.1.1"
for i in 1 2 3 4 5 6; do login $T/out staff 10.9.9.9 wrong-password-1 >/dev/null; done
echo "outsider, right password now: $(login $T/out2 staff 10.9.9.9)"
echo "the real user: $(login $T/real staff 10.1.1.1) (302 = logged in)"
echo "== responses >= 500: $fails"
