"""Passwords of eight characters or more that lead every leaked list (CSDN, 天涯, RockYou …) and the demo's own:
the first an attacker tries, so the admin API and the CLI refuse them (NIST SP 800-63B §5.1.1.2: check new
passwords against values known to be commonly used). Compared case-folded."""

COMMON_PASSWORDS = frozenset("""
password password1 password12 password123 passw0rd p@ssw0rd p@ssword iloveyou iloveyou1 iloveyou2 welcome1
welcome123 letmein1 changeme changeme1 sunshine sunshine1 football football1 baseball baseball1 princess princess1
superman batman123 trustno1 whatever starwars computer internet michael1 jennifer dragon123 monkey123 master123
qwertyui qwertyuiop qwerty12 qwerty123 qwerty1234 qwer1234 1234qwer 1q2w3e4r 1q2w3e4r5t 1qaz2wsx 1qaz2wsx3edc
zaq12wsx zaq1zaq1 qazwsxedc qazwsx123 qweasdzxc 123qweasd qwe123456 qweqweqwe asdfghjk asdfghjkl asdasdasd
asd123456 zxcvbnm1 zxcvbnm123 zxcvbnmm abcdefgh abcdefg1 abcd1234 1234abcd abc12345 abc123456 abc123abc a1b2c3d4
a1234567 a12345678 a123456789 aa123456 aa12345678 aaa12345 123456aa 123456abc 123456qq qq123456 qq1234567
qq12345678 woaini1314 woaini520 woaini123 woaini12 5201314a 1314520a iloveu1314 admin123 admin1234 admin12345
admin888 admin@123 administrator root1234 root12345 test1234 test12345 test123456 pass1234 pass12345 user1234
demo1234 demo12345 xuncha123 xuncha1234 chuangcheng wenming123 dearbook xiazhili 12345678 123456789 1234567890
0123456789 11111111 111111111 1111111111 00000000 000000000 0000000000 88888888 66666666 22222222 12121212
11223344 11112222 12341234 12344321 87654321 987654321 147258369 147852369 123654789 789456123 123123123
123321123 110110110 520520520 5201314520 1314520520 31415926
""".split())
