// The Exercises tab, in the studio and in a classroom: each exercise with its level, options,
// an answer box, and the verdict (GET /api/exercises, POST /api/exercises/answer). The typed
// text goes to the server as it is: tatamikomi.exercises.parse_answer reads it, one reader for
// the terminal quiz, the notebooks and this page. The page counts the tries; a classroom's server
// counts its students' own and ignores the page's.

import {client} from './client.js';
import {byId, el, showError, t} from './util.js';

let exercises = [];       // GET /api/exercises
const verdicts = {};      // exercise id -> the last answer's {correct, tries, message, feedback?, hint?}
const tried = {};         // exercise id -> the tries so far (kept when the list is asked again)

/** Ask the server for the exercises (in the language in effect) and show them. */
export async function load() {
  try {
    exercises = (await client.exercises()).exercises;
    for (const exercise of exercises) {
      exercise.tries = Math.max(exercise.tries, tried[exercise.id] || 0);
      exercise.solved = exercise.solved || Boolean(verdicts[exercise.id] && verdicts[exercise.id].correct);
    }
  } catch (error) {
    showError(error.message);
    exercises = [];
  }
  renderExercises();
}

function renderExercises() {
  const box = byId('exercises');
  const focused = document.activeElement && document.activeElement.dataset.exercise;
  const typed = Object.fromEntries([...box.querySelectorAll('input[data-exercise]')].map((i) => [i.dataset.exercise, i.value]));
  box.replaceChildren(...exercises.map((exercise, index) => {
    const verdict = verdicts[exercise.id];
    const inputId = `answer-${exercise.id}`;
    const input = el('input', {id: inputId, 'data-exercise': exercise.id, autocomplete: 'off', inputmode: 'text',
      placeholder: t('studio.class_answer_placeholder')});
    input.value = typed[exercise.id] ?? '';
    const solved = exercise.solved || (verdict && verdict.correct);
    const form = el('form', {class: 'exercise-form'},
      el('label', {for: inputId, text: t('studio.class_your_answer')}), input,
      el('button', {type: 'submit', text: t('studio.class_check')}));
    if (solved) form.querySelector('button').disabled = true;
    form.addEventListener('submit', (event) => { event.preventDefault(); answer(exercise, input.value); });
    const feedback = el('div', {class: 'feedback', 'aria-live': 'polite', 'data-testid': `feedback-${exercise.id}`});
    if (verdict) {
      feedback.classList.add(verdict.correct ? 'right' : 'wrong');
      const lead = verdict.correct ? t('studio.class_right') : t('studio.class_wrong');
      feedback.append(el('strong', {text: lead}));
      if (!verdict.correct && verdict.feedback) feedback.append(el('p', {class: 'mistake', 'data-testid': `mistake-${exercise.id}`, text: verdict.feedback}));
      if (!verdict.correct && verdict.hint) feedback.append(el('p', {class: 'hint', 'data-testid': `hint-${exercise.id}`}, `${t('studio.class_hint')}: ${verdict.hint}`));
      if (verdict.correct || !verdict.hint) feedback.append(el('p', {class: 'worked', 'data-testid': `worked-${exercise.id}`, text: verdict.message}));
    }
    return el('article', {class: 'card exercise', 'data-exercise': exercise.id},
      el('h3', {text: t('studio.class_question', {n: index + 1})},
        el('span', {class: `level level-${exercise.level}`, text: exercise.level_name})),
      el('p', {class: 'question', text: exercise.question}),
      exercise.options.length ? el('ol', {class: 'options'}, ...exercise.options.map((option) => el('li', {text: option}))) : null,
      form, feedback);
  }));
  if (focused) { const again = box.querySelector(`input[data-exercise="${focused}"]`); if (again) again.focus(); }
}

async function answer(exercise, text) {
  if (!String(text).trim()) {
    verdicts[exercise.id] = {correct: false, tries: exercise.tries, message: t('studio.class_answer_number')};
    renderExercises();
    return;
  }
  try {
    // the server reads the typed text (tatamikomi.exercises.parse_answer), one reader for all
    const verdict = await client.answer({id: exercise.id, answer: String(text), tries: exercise.tries + 1});
    showError('');
    verdicts[exercise.id] = verdict;
    exercise.tries = tried[exercise.id] = verdict.tries;
    if (verdict.correct) exercise.solved = true;
  } catch (error) {
    showError(error.message);
  }
  renderExercises();
}
