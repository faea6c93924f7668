"""Moroccan given names, family names and school namesakes, as (Latin, Arabic) pairs.

Common names in Morocco (UNVERIFIED frequency: every name is drawn with the same probability).
Latin spellings follow the usual French transliteration of Moroccan civil registers.
"""

from __future__ import annotations

MALE_FIRST_NAMES: tuple[tuple[str, str], ...] = (
    ("Mohamed", "محمد"), ("Ahmed", "أحمد"), ("Youssef", "يوسف"), ("Yassine", "ياسين"),
    ("Omar", "عمر"), ("Hamza", "حمزة"), ("Ayoub", "أيوب"), ("Amine", "أمين"),
    ("Mehdi", "مهدي"), ("Adam", "آدم"), ("Ilyas", "إلياس"), ("Anas", "أنس"),
    ("Othmane", "عثمان"), ("Zakaria", "زكرياء"), ("Ismail", "إسماعيل"), ("Ibrahim", "إبراهيم"),
    ("Khalid", "خالد"), ("Said", "سعيد"), ("Rachid", "رشيد"), ("Abdellah", "عبد الله"),
    ("Abderrahmane", "عبد الرحمان"), ("Abdelilah", "عبد الإله"), ("Hassan", "حسن"), ("Hicham", "هشام"),
    ("Karim", "كريم"), ("Mustapha", "مصطفى"), ("Nabil", "نبيل"), ("Reda", "رضا"),
    ("Soufiane", "سفيان"), ("Tarik", "طارق"), ("Walid", "وليد"), ("Yahya", "يحيى"),
    ("Zineddine", "زين الدين"), ("Badr", "بدر"), ("Bilal", "بلال"), ("Driss", "إدريس"),
    ("Fouad", "فؤاد"), ("Hakim", "حكيم"), ("Jamal", "جمال"), ("Kamal", "كمال"),
    ("Marouane", "مروان"), ("Nouh", "نوح"), ("Oussama", "أسامة"), ("Saad", "سعد"),
    ("Salah", "صلاح"), ("Taha", "طه"), ("Wassim", "وسيم"), ("Younes", "يونس"),
    ("Zouhair", "زهير"), ("Aymane", "أيمن"), ("Ali", "علي"), ("Abdelkarim", "عبد الكريم"),
    ("Mouad", "معاذ"), ("Haitam", "هيثم"), ("Imad", "عماد"), ("Larbi", "العربي"),
    ("Mounir", "منير"), ("Noureddine", "نور الدين"), ("Redouane", "رضوان"), ("Lahcen", "لحسن"),
    ("El Houssine", "الحسين"), ("Brahim", "ابراهيم"),
)  # fmt: skip

FEMALE_FIRST_NAMES: tuple[tuple[str, str], ...] = (
    ("Fatima", "فاطمة"), ("Khadija", "خديجة"), ("Aicha", "عائشة"), ("Meryem", "مريم"),
    ("Salma", "سلمى"), ("Imane", "إيمان"), ("Hiba", "هبة"), ("Sara", "سارة"),
    ("Nour", "نور"), ("Hajar", "هاجر"), ("Zineb", "زينب"), ("Oumaima", "أميمة"),
    ("Asmae", "أسماء"), ("Chaimae", "شيماء"), ("Douae", "دعاء"), ("Ghizlane", "غزلان"),
    ("Houda", "هدى"), ("Ikram", "إكرام"), ("Jihane", "جيهان"), ("Kaoutar", "كوثر"),
    ("Latifa", "لطيفة"), ("Malak", "ملاك"), ("Nada", "ندى"), ("Naima", "نعيمة"),
    ("Rania", "رانية"), ("Rim", "ريم"), ("Samira", "سميرة"), ("Sanae", "سناء"),
    ("Siham", "سهام"), ("Soukaina", "سكينة"), ("Wiam", "وئام"), ("Yasmine", "ياسمين"),
    ("Zahra", "زهرة"), ("Amina", "أمينة"), ("Nadia", "نادية"), ("Hanane", "حنان"),
    ("Laila", "ليلى"), ("Loubna", "لبنى"), ("Najat", "نجاة"), ("Rajae", "رجاء"),
    ("Safae", "صفاء"), ("Wafae", "وفاء"), ("Btissam", "ابتسام"), ("Fatima Zahra", "فاطمة الزهراء"),
    ("Hasna", "حسناء"), ("Ilham", "إلهام"), ("Kenza", "كنزة"), ("Lina", "لينا"),
    ("Maha", "مها"), ("Manal", "منال"), ("Noura", "نورة"), ("Rachida", "رشيدة"),
    ("Saida", "سعيدة"), ("Souad", "سعاد"), ("Widad", "وداد"), ("Yousra", "يسرى"),
    ("Aya", "آية"), ("Israe", "إسراء"), ("Hind", "هند"), ("Nisrine", "نسرين"),
    ("Fadwa", "فدوى"), ("Amal", "أمل"),
)  # fmt: skip

FAMILY_NAMES: tuple[tuple[str, str], ...] = (
    ("Alaoui", "العلوي"), ("El Idrissi", "الإدريسي"), ("Bennani", "بناني"), ("Tazi", "التازي"),
    ("Benjelloun", "بنجلون"), ("Berrada", "برادة"), ("El Amrani", "العمراني"), ("Chraibi", "الشرايبي"),
    ("El Fassi", "الفاسي"), ("Lahlou", "لحلو"), ("Sqalli", "السقلي"), ("Benkirane", "بنكيران"),
    ("Ouazzani", "الوزاني"), ("Kettani", "الكتاني"), ("Cherkaoui", "الشرقاوي"), ("Filali", "الفيلالي"),
    ("Bouzidi", "البوزيدي"), ("El Ouafi", "الوافي"), ("Ait Ali", "آيت علي"), ("Ait Ahmed", "آيت أحمد"),
    ("Amzil", "أمزيل"), ("Ouchen", "أوشن"), ("Boukhari", "البخاري"), ("Lamrani", "اللمراني"),
    ("Benali", "بنعلي"), ("Benmoussa", "بنموسى"), ("Bensaid", "بنسعيد"), ("Zemmouri", "الزموري"),
    ("Slaoui", "السلاوي"), ("Rifi", "الريفي"), ("Soussi", "السوسي"), ("Doukkali", "الدكالي"),
    ("Sahraoui", "الصحراوي"), ("Hassani", "الحسني"), ("Bakkali", "البقالي"), ("Naciri", "الناصري"),
    ("Mansouri", "المنصوري"), ("Ziani", "الزياني"), ("El Khatib", "الخطيب"), ("Belhaj", "بلحاج"),
    ("Benchekroun", "بنشقرون"), ("Bouazza", "بوعزة"), ("Belkadi", "بلقاضي"), ("El Mahdi", "المهدي"),
    ("Hamdaoui", "الحمداوي"), ("Jabri", "الجابري"), ("Kabbaj", "القباج"), ("Mernissi", "المرنيسي"),
    ("Naji", "ناجي"), ("Ouali", "الوالي"), ("Qadiri", "القادري"), ("Rahmouni", "الرحموني"),
    ("Saidi", "السعيدي"), ("Tahiri", "الطاهري"), ("Yacoubi", "اليعقوبي"), ("Zaki", "زكي"),
    ("Azzouzi", "العزوزي"), ("Bousfiha", "بوصفيحة"), ("Chafik", "شفيق"), ("Dahbi", "الذهبي"),
    ("El Ghazi", "الغازي"), ("Fikri", "فكري"), ("Guessous", "جسوس"), ("Haddad", "الحداد"),
    ("Jamali", "الجمالي"), ("Karimi", "الكريمي"), ("Lamghari", "المغاري"), ("Moussaoui", "الموساوي"),
    ("Nejjar", "النجار"), ("Ouahbi", "وهبي"), ("Raji", "الراجي"), ("Sebti", "السبتي"),
    ("Tounsi", "التونسي"), ("Ammari", "العماري"), ("Benomar", "بنعمر"), ("El Hajji", "الحجي"),
    ("Marzouki", "المرزوقي"), ("Bouchaib", "بوشعيب"), ("Ait Brahim", "آيت ابراهيم"), ("Oubella", "أوبلا"),
    ("Aboulfaraj", "أبو الفرج"), ("Benabdellah", "بنعبد الله"),
)  # fmt: skip

# Namesakes of schools (scholars, historic figures, places, values).
SCHOOL_NAMESAKES: tuple[tuple[str, str], ...] = (
    ("Ibn Khaldoun", "ابن خلدون"), ("Al Massira", "المسيرة"), ("Ibn Sina", "ابن سينا"),
    ("Al Farabi", "الفارابي"), ("Moulay Ismail", "مولاي إسماعيل"), ("Hassan II", "الحسن الثاني"),
    ("Mohammed V", "محمد الخامس"), ("Oued Eddahab", "وادي الذهب"), ("Al Andalous", "الأندلس"),
    ("Ibn Battouta", "ابن بطوطة"), ("Al Idrissi", "الإدريسي"), ("Ibn Rochd", "ابن رشد"),
    ("Abdelkrim Al Khattabi", "عبد الكريم الخطابي"), ("Al Qods", "القدس"), ("Al Amal", "الأمل"),
    ("Annahda", "النهضة"), ("Al Wahda", "الوحدة"), ("Al Fath", "الفتح"), ("Al Irfane", "العرفان"),
    ("Ibn Toufail", "ابن طفيل"), ("Al Mansour Eddahbi", "المنصور الذهبي"),
    ("Youssef Ibn Tachfine", "يوسف بن تاشفين"), ("Tarik Ibn Ziad", "طارق بن زياد"),
    ("Okba Ibn Nafii", "عقبة بن نافع"), ("Allal El Fassi", "علال الفاسي"),
    ("Al Mokhtar Soussi", "المختار السوسي"), ("Zerktouni", "الزرقطوني"), ("Al Khawarizmi", "الخوارزمي"),
    ("Al Jahid", "الجاحظ"), ("Ibn Zaidoun", "ابن زيدون"), ("Al Moutanabbi", "المتنبي"),
    ("Abou Bakr Seddik", "أبو بكر الصديق"), ("Omar Ibn Al Khattab", "عمر بن الخطاب"),
    ("Al Biruni", "البيروني"), ("Ibn Al Haytham", "ابن الهيثم"), ("Lalla Aicha", "للا عائشة"),
    ("Lalla Meryem", "للا مريم"), ("Al Moustakbal", "المستقبل"), ("Al Majd", "المجد"),
    ("Al Yassamine", "الياسمين"), ("Ibn Al Banna", "ابن البناء"), ("Al Kindi", "الكندي"),
)  # fmt: skip

# (French pattern, Arabic pattern) of school names by (cycle, sector); {} = namesake.
SCHOOL_NAME_PATTERNS: dict[tuple[str, str], tuple[str, str]] = {
    ("preschool", "public"): ("Unité préscolaire {}", "وحدة التعليم الأولي {}"),
    ("preschool", "private"): ("Jardin d'enfants {}", "روض الأطفال {}"),
    ("primary", "public"): ("École primaire {}", "مدرسة {} الابتدائية"),
    ("primary", "private"): ("Groupe scolaire privé {}", "مجموعة مدارس {} الخصوصية"),
    ("lower_secondary", "public"): ("Collège {}", "الثانوية الإعدادية {}"),
    ("lower_secondary", "private"): ("Collège privé {}", "الثانوية الإعدادية الخصوصية {}"),
    ("upper_secondary", "public"): ("Lycée qualifiant {}", "الثانوية التأهيلية {}"),
    ("upper_secondary", "private"): ("Lycée privé {}", "الثانوية التأهيلية الخصوصية {}"),
}
# Rural public primary schools are usually school groups (a main school and satellite units).
RURAL_PRIMARY_PATTERN: tuple[str, str] = ("Groupe scolaire {}", "مجموعة مدارس {}")
