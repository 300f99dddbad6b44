"""Words the demo PMS is written in: Japanese names, Tokyo places, note text, hostile strings.

Kept apart from the simulation so the simulation reads as the life of a tenant, not as lists.
The hostile strings are the point of the demo as much as the names: every character class that
MySQL escapes (or that a naive dump parser trips over) appears in real tenant data sooner or
later -- an apostrophe in a foreign name, a newline pasted into a note, an emoji.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = _words(
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 "
    "山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本 "
    "福田 太田 西村 藤井 金子 岡本 藤原 中野 三浦 原田 中川 松田 竹内 小野 田村 中山 和田 石田 森田 上田 "
    "原 内田 柴田 酒井 宮崎 横山 高木 安藤 宮本 大野 小島 谷口 今井 工藤 高田 増田 丸山 杉山 村田 大塚 "
    "新井 小山 平野 藤本 河野 上野 野口 武田 松井 千葉 岩崎 菅原 木下 久保 佐野 野村 松尾 市川 菊地 "
    "杉本 古川 大西 島田 水野 桜井 高野 渡部 吉川 山内 西田 飯田 西川 小松 北村 安田 五十嵐 川口 平田 "
    "関 中田 久保田 服部 東 岩田 土屋 川崎 福島 本田 辻 樋口 秋山 田口 永井 山中 中西 吉村 川上 石原 "
    "大橋 松岡 馬場 浅野 荒木 大久保 野田 星野 黒田 堀 尾崎 望月 永田 熊谷 内藤 松村 西山 大谷 平井"
)

GIVEN_NAMES = _words(
    "翔太 蓮 大翔 陽翔 悠真 湊 樹 大和 陽太 悠人 蒼 颯 健太 拓海 直樹 大輔 翔 誠 達也 和也 拓也 "
    "亮 健一 浩二 剛 修 学 隆 裕太 優斗 陽葵 凛 結菜 葵 芽依 結愛 莉子 美咲 花子 さくら 彩 愛 優子 "
    "陽子 恵 由美 真由美 明美 直美 舞 美穂 千尋 沙織 香織 麻衣 遥 七海 茜 楓 琴音 真央 杏 紬 澪 "
    "ひなた ゆい あおい りん みお はると そうた ゆうと"
)

#: share houses in Tokyo have many foreign residents; some of their names carry an apostrophe
FOREIGN_NAMES = (
    "Emily Clark",
    "Lucas Martin",
    "Nguyen Van An",
    "Tran Thi Mai",
    "Kim Minjun",
    "Park Jiwoo",
    "Li Ming",
    "Wang Fang",
    "Sofia Rossi",
    "Müller Anna",
    "Jean-Luc Dupont",
    "D'Angelo Marco",
    "O'Neill Kate",
    "Ana Gómez",
    "Siti Nurhaliza",
    "Rahul Sharma",
    "Ivan Petrov",
    "Chloé Bernard",
)

KATAKANA = _words(
    "ア イ ウ エ オ カ キ ク ケ コ サ シ ス セ ソ タ チ ツ テ ト ナ ニ ヌ ネ ノ ハ ヒ フ ヘ ホ "
    "マ ミ ム メ モ ヤ ユ ヨ ラ リ ル レ ロ ワ ン ガ ギ グ ゲ ゴ ザ ジ ズ ゼ ゾ ダ デ ド バ ビ ブ ベ ボ ー"
)

#: (place, ward): share-house neighbourhoods and the Tokyo ward (or city) they are in
PLACES = (
    ("高円寺", "杉並区"),
    ("阿佐ヶ谷", "杉並区"),
    ("荻窪", "杉並区"),
    ("西荻窪", "杉並区"),
    ("下北沢", "世田谷区"),
    ("三軒茶屋", "世田谷区"),
    ("経堂", "世田谷区"),
    ("二子玉川", "世田谷区"),
    ("池袋", "豊島区"),
    ("大塚", "豊島区"),
    ("巣鴨", "豊島区"),
    ("中野", "中野区"),
    ("東中野", "中野区"),
    ("恵比寿", "渋谷区"),
    ("代々木", "渋谷区"),
    ("笹塚", "渋谷区"),
    ("中目黒", "目黒区"),
    ("学芸大学", "目黒区"),
    ("自由が丘", "目黒区"),
    ("蒲田", "大田区"),
    ("大森", "大田区"),
    ("北千住", "足立区"),
    ("綾瀬", "足立区"),
    ("錦糸町", "墨田区"),
    ("押上", "墨田区"),
    ("門前仲町", "江東区"),
    ("清澄白河", "江東区"),
    ("豊洲", "江東区"),
    ("赤羽", "北区"),
    ("王子", "北区"),
    ("練馬", "練馬区"),
    ("石神井公園", "練馬区"),
    ("板橋", "板橋区"),
    ("成増", "板橋区"),
    ("浅草", "台東区"),
    ("上野", "台東区"),
    ("神楽坂", "新宿区"),
    ("高田馬場", "新宿区"),
    ("早稲田", "新宿区"),
    ("品川", "品川区"),
    ("大井町", "品川区"),
    ("武蔵小山", "品川区"),
    ("白金", "港区"),
    ("田町", "港区"),
    ("茗荷谷", "文京区"),
    ("本駒込", "文京区"),
    ("月島", "中央区"),
    ("人形町", "中央区"),
    ("神田", "千代田区"),
    ("亀有", "葛飾区"),
    ("小岩", "江戸川区"),
    ("葛西", "江戸川区"),
    ("町屋", "荒川区"),
    ("吉祥寺", "武蔵野市"),
    ("三鷹", "三鷹市"),
)

HOUSE_PREFIXES = (
    "シェアハウス",
    "ボーダレスハウス",
    "コリビング",
    "さくらハウス",
    "ソーシャルアパートメント",
    "ハウス",
)
HOUSE_SUFFIXES = (
    "",
    "",
    " II",
    " III",
    " East",
    " West",
    "レジデンス",
    "テラス",
    "ベース",
    " 2号館",
    " 3号館",
)

ROOM_TYPES = ("個室", "個室(ロフト付)", "ドミトリー", "セミプライベート", "個室(バス付)")
NATIONALITIES = (
    "日本",
    "日本",
    "日本",
    "日本",
    "ベトナム",
    "中国",
    "韓国",
    "アメリカ",
    "フランス",
    "インド",
    "台湾",
)

#: vocabulary of the free-text columns (notes, screening memo, emergency contact remarks)
NOTE_WORDS = _words(
    "入居 退去 契約 更新 連絡 確認 済み 予定 部屋 鍵 清掃 家賃 支払い 保証人 電話 メール 希望 日本語 "
    "英語 対応 シェアハウス 共用 キッチン トイレ シャワー 洗濯機 騒音 苦情 ゴミ 分別 ルール 説明 完了 "
    "未 要 再 内見 申込書 在留カード 本人確認 緊急連絡先 勤務先 学校 口座振替 クレジットカード 初期費用 "
    "敷金 礼金 日割り 精算 立会い 修繕 原状回復 エアコン 冷蔵庫 Wi-Fi 駐輪場 郵便 宅配 夜間 早朝 "
    "来客 喫煙 禁止 注意 了承 相談 変更 手続き 書類 署名 返送 受領 督促 入金 遅延 分割 免除 "
    "、 、 。 。 。 ・ （ ） 「 」 room key OK NG TBD check-in check-out 2F 3F A棟 B棟"
)

EMERGENCY_RELATIONS = ("父", "母", "兄", "姉", "配偶者", "友人", "勤務先", "学校")

PAYMENT_METHODS = ("bank_transfer", "credit_card", "direct_debit", "convenience_store", "cash")
VISIT_EVENTS = ("door_unlock", "door_lock", "wifi_login", "laundry_start", "laundry_end", "guest_checkin")
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "SmartLock/2.3.1 (firmware 5.0.12)",
    'PMS-Sync/1.0 (+https://example.invalid/bot; "quoted")',
)

#: full_name values that break naive parsers; each is given to at least one tenant
HOSTILE_NAMES = (
    "O'Brien ショーン",
    '山田 "ヤマちゃん" 太郎',
    "田中\\花子",
    "佐藤\n次郎",
    "鈴木\t一郎",
    "高橋),(真一",
    "伊藤; DROP TABLE tenants; --",
    "INSERT INTO `tenants` VALUES (1,'x');",
    "🏠 さくら 😀",
    "NUL\x00文字",
    "Ctrl-Z\x1a終端",
    "改行\r\nあり",
    "'",
    "\\",
    "\\'');",
    "-- 山本 */ /*!40000",
)

#: fragments mixed into notes of some tenants (and of the unrelated tables)
HOSTILE_NOTES = (
    "鍵を返却済み。'確認'お願いします",
    'ゲストが "深夜" に来訪',
    "C:\\Users\\tenant\\契約書.pdf",
    "1行目\n2行目\n3行目",
    "列A\t列B\t列C",
    "),(999,'fake row'),(",
    "; DELETE FROM tenants; --",
    "INSERT INTO `tenants` VALUES (0,0,0);",
    "UNLOCK TABLES;\n-- Dump completed on 2020-01-01  0:00:00",
    "絵文字 😀🏠🔑👍",
    "NUL\x00byte",
    "SUB\x1achar",
    "CRLF\r\nline",
    "\\0 is not NUL, \\n is not a newline",
)
