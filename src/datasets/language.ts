/**
 * A small language guess for conversations whose vendor gave none: counts of very common function
 * words per language. Enough to tell the languages support teams in Europe write in; it answers
 * null when the text is short or ambiguous rather than guessing.
 */
const STOPWORDS: Record<string, string> = {
  en: 'the and you your for with that this have not are was please thank thanks can would my is it to of i we',
  de: 'der die das und ich sie nicht ist ein eine mit für auf bitte danke ihr ihre wir mein meine haben zu den dem',
  fr: 'le la les et je vous est pas pour avec une des merci mon ma nous sur que qui dans bonjour',
  es: 'el la los las y que de en por para con una mi es no gracias hola su nos usted',
  it: 'il lo gli le che di per con una non sono grazie mio mia ciao siamo della nel',
  nl: 'de het een en ik je niet is van voor met dat op wij mijn bedankt alstublieft graag',
  pt: 'o os as e que de em por para com uma não obrigado olá meu minha você nós',
};

const INDEX = new Map<string, string[]>();
for (const [language, words] of Object.entries(STOPWORDS)) {
  for (const word of words.split(' ')) INDEX.set(word, [...(INDEX.get(word) ?? []), language]);
}

export function guessLanguage(text: string): string | null {
  const hits = new Map<string, number>();
  let words = 0;
  for (const match of text.toLowerCase().matchAll(/\p{L}+/gu)) {
    words++;
    for (const language of INDEX.get(match[0]) ?? []) hits.set(language, (hits.get(language) ?? 0) + 1);
    if (words >= 400) break;
  }
  const ranked = [...hits].sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (!best || best[1] < 3) return null;
  if (second && best[1] < second[1] * 1.5) return null;
  return best[0];
}
