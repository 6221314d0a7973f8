// Invented-for-testing value pools. Common English given names and surnames are public-domain
// frequency-list material; no real person's record is in here.
export const MALE_NAMES = 'james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis jerry tyler aaron jose adam nathan henry douglas zachary peter kyle ethan walter noah jeremy christian keith roger terry gerald harold sean austin carl arthur lawrence dylan jesse jordan bryan billy joe bruce gabriel logan albert willie alan juan wayne elijah randy roy vincent ralph eugene russell bobby mason philip louis oliver harry alfie leo oscar archie freddie isaac lucas caleb finley theo reuben'.split(' ');
export const FEMALE_NAMES = 'mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma nicole helen samantha katherine christine debra rachel carolyn janet catherine maria heather diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison frances kathryn janice jean abigail alice judy sophia grace denise amber doris marilyn danielle beverly isabella theresa diana natalie brittany charlotte marie kayla alexis lori amelia isla ava mia poppy evie ella lily freya sienna matilda eleanor'.split(' ');
export const SURNAMES = 'smith jones williams taylor brown davies evans wilson thomas johnson roberts robinson thompson wright walker white edwards hughes green hall lewis harris clarke patel jackson wood turner martin cooper hill ward morris moore clark lee king baker harrison morgan allen james scott phillips watson davis parker price bennett young griffiths mitchell kelly cook carter richardson bailey collins bell shaw murphy miller cox richards khan marshall anderson simpson ellis adams singh begum wilkinson foster chapman powell webb rogers gray mason ali hunt hussain campbell matthews owen palmer holmes mills barnes knight lloyd butler russell barker fisher stevens jenkins murray dixon harvey graham pearson ahmed fletcher walsh kaur gibson howard andrews stewart elliott reynolds saunders payne fox ford pearce day brooks west lawrence cole atkinson bradley spencer gill dawson ball burton obrien watts rose booth perry ryan grant wells armstrong francis rees hayes hart hudson newman barrett webster hunter gregory carr lowe page marsh riley dunn woods parsons berry stone reid holland hawkins harding porter robertson newton oconnor kennedy burns vanderberg macdonald mcdonald'.split(' ');
const SYLLABLES = 'ab al an ar as ash bar ber bor bran brook bur by cal car ches cliff cot dal den der don dor el en er es ey fair ford gar gate ham har hay hol ing kin lan lee ley lin lock man mar mer mill mon mor nor olt on or ow ridge ring sel shaw son stan ter thorn ton vale wain wal well wick win wood worth'.split(' ');
export const CITIES: Array<[string, string]> = [
  ['London', 'E'], ['London', 'N'], ['London', 'SW'], ['London', 'SE'], ['London', 'W'], ['Birmingham', 'B'], ['Manchester', 'M'],
  ['Leeds', 'LS'], ['Glasgow', 'G'], ['Sheffield', 'S'], ['Bradford', 'BD'], ['Liverpool', 'L'], ['Edinburgh', 'EH'], ['Bristol', 'BS'],
  ['Cardiff', 'CF'], ['Leicester', 'LE'], ['Coventry', 'CV'], ['Nottingham', 'NG'], ['Newcastle upon Tyne', 'NE'], ['Belfast', 'BT'],
  ['Brighton', 'BN'], ['Hull', 'HU'], ['Plymouth', 'PL'], ['Stoke-on-Trent', 'ST'], ['Wolverhampton', 'WV'], ['Derby', 'DE'],
  ['Swansea', 'SA'], ['Southampton', 'SO'], ['Aberdeen', 'AB'], ['Reading', 'RG'], ['Oxford', 'OX'], ['Cambridge', 'CB'], ['York', 'YO'],
  ['Norwich', 'NR'], ['Exeter', 'EX'], ['Bath', 'BA'], ['St Albans', 'AL'], ['Milton Keynes', 'MK'], ['Portsmouth', 'PO'], ['Dundee', 'DD'],
];
export const STREET_NAMES = 'high church station victoria park london green manor kings queens grange mill school new north south west east albert chapel springfield windsor york alexander broadway cedar elm oak beech willow orchard meadow farm hill castle bridge market water river lake forest heath moor abbey priory college bank mount grove rose ivy holly laurel'.split(' ');
export const STREET_TYPES = ['Street', 'Road', 'Lane', 'Avenue', 'Close', 'Drive', 'Way', 'Crescent', 'Place', 'Gardens', 'Terrace', 'Court'];
export const STREET_ABBREVIATIONS: Record<string, string> = { Street: 'St', Road: 'Rd', Lane: 'Ln', Avenue: 'Ave', Close: 'Cl', Drive: 'Dr', Crescent: 'Cres', Place: 'Pl', Gardens: 'Gdns', Terrace: 'Tce', Court: 'Ct', Way: 'Way' };
export const EMAIL_DOMAINS = ['gmail.com', 'gmail.com', 'gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'btinternet.com', 'sky.com', 'example.org', 'example.net'];
export const NICKNAMES: Record<string, string[]> = {
  william: ['bill', 'will', 'billy'], robert: ['bob', 'rob', 'bobby'], richard: ['rick', 'dick', 'rich'], james: ['jim', 'jimmy', 'jamie'],
  michael: ['mike', 'mick'], thomas: ['tom', 'tommy'], christopher: ['chris'], charles: ['charlie', 'chuck'], joseph: ['joe', 'joey'],
  daniel: ['dan', 'danny'], david: ['dave'], matthew: ['matt'], anthony: ['tony'], andrew: ['andy', 'drew'], benjamin: ['ben'],
  samuel: ['sam'], alexander: ['alex'], edward: ['ed', 'ted', 'eddie'], nicholas: ['nick'], patrick: ['pat'], peter: ['pete'],
  stephen: ['steve'], timothy: ['tim'], elizabeth: ['liz', 'beth', 'lisa', 'betty', 'elisabeth'], katherine: ['kate', 'katie', 'kathy'],
  catherine: ['cathy', 'kate'], margaret: ['maggie', 'peggy', 'meg'], jennifer: ['jen', 'jenny'], susan: ['sue', 'susie'],
  rebecca: ['becky'], victoria: ['vicky', 'tori'], patricia: ['pat', 'trish'], deborah: ['debbie', 'deb'], samantha: ['sam'],
  abigail: ['abby'], jessica: ['jess'], amanda: ['mandy'], kathleen: ['kathy', 'kate'], eleanor: ['ellie'], isabella: ['bella', 'izzy'],
  henry: ['harry'], frederick: ['fred'], jonathan: ['jon'], gregory: ['greg'], kenneth: ['ken'], ronald: ['ron'], lawrence: ['larry'],
};

/** A long tail of plausible surnames (the real distribution has millions of rare names). */
export function inventSurname(pick: (items: readonly string[]) => string): string {
  return pick(SYLLABLES) + pick(SYLLABLES) + (pick(['', '', 's', 'e', 'er', 'son']) as string);
}
